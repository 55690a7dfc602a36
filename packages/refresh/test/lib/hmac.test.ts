import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHmacSha256 } from '../../src/lib/hmac.js';

// The HMAC is private and hand-built on one-shot hashes for speed; these tests hold it to RFC 2104.

const hex = (text: string) => Buffer.from(text, 'hex');
const latin1 = (bytes: Buffer) => bytes.toString('latin1');
const b64url = (hexDigest: string) => Buffer.from(hexDigest, 'hex').toString('base64url');

/** RFC 4231 section 4 test cases for HMAC-SHA-256 (case 5, a truncated output, does not apply). */
const RFC_4231 = [
  {
    case: 1,
    key: hex('0b'.repeat(20)),
    data: Buffer.from('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    case: 2,
    key: Buffer.from('Jefe'),
    data: Buffer.from('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    case: 3,
    key: hex('aa'.repeat(20)),
    data: hex('dd'.repeat(50)),
    mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
  },
  {
    case: 4,
    key: hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    data: hex('cd'.repeat(50)),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
  },
  {
    case: 6,
    key: hex('aa'.repeat(131)),
    data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    case: 7,
    key: hex('aa'.repeat(131)),
    data: Buffer.from(
      'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
    ),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

describe('createHmacSha256', () => {
  it.each(RFC_4231)('matches RFC 4231 test case $case', ({ key, data, mac }) => {
    expect(createHmacSha256(key)(latin1(data))).toBe(b64url(mac));
  });

  it('agrees with createHmac for any key and latin1 message, on both sides of the fast-path limit', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.integer({ min: 0, max: 400 }),
        (key, messages, padding) => {
          const mac = createHmacSha256(key);
          // Several calls on one closure: the shared buffers must not leak one message into the next.
          for (const message of [...messages, 'x'.repeat(padding), ...messages]) {
            expect(mac(message)).toBe(
              createHmac('sha256', key).update(message, 'latin1').digest('base64url'),
            );
          }
        },
      ),
    );
  });

  it('keeps its own copy of the key: changing the caller buffer later changes nothing', () => {
    const key = Buffer.alloc(32, 1);
    const mac = createHmacSha256(key);
    const before = mac('body');
    key.fill(2);
    expect(mac('body')).toBe(before);
    expect(mac('x'.repeat(500))).toBe(
      createHmac('sha256', Buffer.alloc(32, 1)).update('x'.repeat(500), 'latin1').digest('base64url'),
    );
  });
});
