import { Buffer } from 'node:buffer';
import { createHmac, hash, createPublicKey as nodePublicKey } from 'node:crypto';
import { generateSigningKey, type Jwk } from '@tessera/core';
import { platform } from '@tessera/core/internal';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { nodePlatform } from '../../src/lib/platform/platform.node.js';
import { webPlatform } from '../../src/lib/platform/platform.web.js';
import type { AsymmetricAlgorithm, Platform } from '../../src/lib/platform/port.js';

// One contract, two implementations: everything the packages ask of their runtime answers the same
// on node:crypto (synchronous, scratch buffers) and on WebCrypto (asynchronous, no shared buffers).

const PLATFORMS: readonly Platform[] = [nodePlatform, webPlatform];
const ALGS: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256'];

const hex = (text: string) => Buffer.from(text, 'hex');
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const b64url = (hexDigest: string) => Buffer.from(hexDigest, 'hex').toString('base64url');
const latin1Text = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) });

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

const keys = new Map<AsymmetricAlgorithm, Jwk>();
async function keyFor(alg: AsymmetricAlgorithm): Promise<Jwk> {
  let key = keys.get(alg);
  if (key === undefined) {
    key = await generateSigningKey(alg);
    keys.set(alg, key);
  }
  return key;
}
const publicOf = (jwk: Jwk): Jwk => {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
};

describe('the selected platform', () => {
  it('is the synchronous Node one the hot paths are written for', () => {
    expect(platform).toBe(nodePlatform);
    expect(platform.synchronous).toBe(true);
  });
});

describe.each(PLATFORMS.map((p) => [p.name, p] as const))('the %s platform', (_name, port) => {
  it.each(RFC_4231)('HMAC matches RFC 4231 test case $case', async ({ key, data, mac }) => {
    expect(await port.hmacSha256(key)(latin1(data))).toBe(b64url(mac));
  });

  it('HMAC agrees with createHmac for any key and latin1 message, call after call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(latin1Text, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 400 }),
        async (key, messages, padding) => {
          const mac = port.hmacSha256(key);
          // Several calls on one closure (on both sides of Node's fast-path limit): shared buffers
          // must not leak one message into the next.
          for (const message of [...messages, 'x'.repeat(padding), ...messages]) {
            expect(await mac(message)).toBe(
              createHmac('sha256', key).update(message, 'latin1').digest('base64url'),
            );
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('HMAC keeps its own copy of the key: changing the caller buffer later changes nothing', async () => {
    for (const length of [32, 100]) {
      const key = Buffer.alloc(length, 1);
      const mac = port.hmacSha256(key);
      const before = await mac('body');
      key.fill(2);
      expect(await mac('body')).toBe(before);
      expect(await mac('x'.repeat(500))).toBe(
        createHmac('sha256', Buffer.alloc(length, 1)).update('x'.repeat(500), 'latin1').digest('base64url'),
      );
    }
  });

  it('SHA-256 of any text (lone surrogates included) is the digest of its UTF-8 bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary' }), async (text) => {
        expect(await port.sha256(text)).toBe(hash('sha256', text, 'base64url'));
      }),
      { numRuns: 200 },
    );
  });

  it('base64url encodes and decodes any bytes as Node does', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        (bytes, text) => {
          const encoded = Buffer.from(bytes).toString('base64url');
          expect(port.bytes.toBase64url(bytes)).toBe(encoded);
          expect(port.bytes.toBase64url(text)).toBe(Buffer.from(text, 'utf8').toString('base64url'));
          expect([...port.bytes.fromBase64url(encoded)]).toEqual([...bytes]);
          const target = new Uint8Array(bytes.length + 3);
          expect(port.bytes.decodeBase64urlInto(encoded, target)).toBe(bytes.length);
          expect([...target.subarray(0, bytes.length)]).toEqual([...bytes]);
        },
      ),
    );
  });

  it('decoding into a buffer writes fewer bytes for any ASCII character outside both base64 alphabets', () => {
    // ASCII only, as the contract says: Node's decoder maps some other characters onto the alphabet.
    const outside = fc
      .integer({ min: 0, max: 0x7f })
      .map((c) => String.fromCharCode(c))
      .filter((c) => !/[A-Za-z0-9_\-+/]/.test(c));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 60 }), fc.nat(), outside, (bytes, at, char) => {
        const encoded = Buffer.from(bytes).toString('base64url');
        const index = at % encoded.length;
        const spoiled = encoded.slice(0, index) + char + encoded.slice(index + 1);
        const expected = (spoiled.length * 3) >> 2;
        expect(port.bytes.decodeBase64urlInto(spoiled, new Uint8Array(expected + 3))).toBeLessThan(expected);
      }),
    );
  });

  it('UTF-8 decoding answers the text of valid bytes and undefined for invalid ones', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        (bytes, text) => {
          const valid = Buffer.from(text, 'utf8');
          expect(port.bytes.utf8(valid, valid.length)).toBe(text);
          expect(port.bytes.utf8Length(text)).toBe(valid.length);
          expect([...port.bytes.fromUtf8(text)]).toEqual([...valid]);
          const decoded = port.bytes.utf8(bytes, bytes.length);
          const roundTrips = Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(
            Buffer.from(bytes),
          );
          expect(decoded === undefined).toBe(!roundTrips);
        },
      ),
    );
    // A real U+FFFD is text, not an error; the length limit is honoured.
    const replacement = Buffer.from('a\uFFFDb', 'utf8');
    expect(port.bytes.utf8(replacement, replacement.length)).toBe('a\uFFFDb');
    expect(port.bytes.utf8(Buffer.from('abc\xff', 'latin1'), 3)).toBe('abc');
  });

  it('compares texts as === does, for any code units and on both sides of the scratch size', () => {
    const text = fc.oneof(
      latin1Text,
      fc.string({ unit: 'binary' }),
      fc.string({ minLength: 1020, maxLength: 1100 }),
    );
    fc.assert(
      fc.property(text, text, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (a, b, at, unit) => {
        expect(port.equalText(a, b)).toBe(a === b);
        expect(port.equalText(a, a)).toBe(true);
        if (a.length === 0) return;
        // One code unit changed, even to one with the same low byte, is a different text.
        const index = at % a.length;
        const changed = a.slice(0, index) + String.fromCharCode(unit) + a.slice(index + 1);
        expect(port.equalText(a, changed)).toBe(a === changed);
      }),
    );
    expect(port.equalText('\u0100', '\u0000')).toBe(false);
  });

  it('draws random bytes, tokens and UUIDs of the promised shapes, never twice the same', () => {
    expect([...port.bytes.alloc(5)]).toEqual([0, 0, 0, 0, 0]);
    expect(port.randomBytes(70_000)).toHaveLength(70_000);
    const tokens = new Set(Array.from({ length: 100 }, () => port.randomToken(32)));
    expect(tokens.size).toBe(100);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(port.randomToken(16)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(port.randomUUID()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(new Set(Array.from({ length: 50 }, () => latin1(port.randomBytes(16)))).size).toBe(50);
  });

  it.each(ALGS)('imports %s keys with the same kind, size and public JWK as node:crypto', async (alg) => {
    const jwk = await keyFor(alg);
    const privateKey = await port.importKey(jwk, alg);
    const publicKey = await port.importKey(publicOf(jwk), alg);
    expect(privateKey?.private).toBe(true);
    expect(publicKey?.private).toBe(false);
    const expected = nodePublicKey({ key: { ...publicOf(jwk) }, format: 'jwk' }).export({ format: 'jwk' });
    expect(privateKey?.publicJwk).toEqual(expected);
    expect(publicKey?.publicJwk).toEqual(expected);
    expect(privateKey?.kind).toBe({ EdDSA: 'ed25519', ES256: 'p256', RS256: 'rsa', PS256: 'rsa' }[alg]);
    expect(privateKey?.modulusBits).toBe(alg.endsWith('S256') && alg !== 'ES256' ? 2048 : 0);
  });

  it('refuses key material it cannot import, without a message', async () => {
    const jwk = await keyFor('ES256');
    expect(await port.importKey({ ...publicOf(jwk), x: 'AAAA' } as Jwk, 'ES256')).toBeUndefined();
    expect(await port.importKey({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } as Jwk, 'EdDSA')).toBeUndefined();
    // An empty modulus imports on both (key-set.ts then refuses it as weak): it is never a usable size.
    expect((await port.importKey({ kty: 'RSA', n: '', e: '' } as Jwk, 'RS256'))?.modulusBits ?? 0).toBe(0);
  });

  it.each(ALGS)(
    'signs %s so that both platforms verify, and neither accepts a changed input',
    async (alg) => {
      const jwk = await keyFor(alg);
      const signing = (await port.importKey(jwk, alg))!;
      const sign = port.signer(alg, signing);
      const input = `${'h'.repeat(20)}.${'p'.repeat(50)}`;
      const signature = await sign(input);
      const token = `${input}.${signature}`;
      for (const other of PLATFORMS) {
        const verify = other.verifier(alg, (await other.importKey(publicOf(jwk), alg))!);
        const bytes = Buffer.from(signature, 'base64url');
        expect(await verify(token, input.length, bytes)).toBe(true);
        expect(await verify(`x${token.slice(1)}`, input.length, bytes)).toBe(false);
        const flipped = Uint8Array.from(bytes);
        flipped[5]! ^= 1;
        expect(await verify(token, input.length, flipped)).toBe(false);
      }
    },
  );

  it('runs timers that never hold the process, defers after the current work, and warns', async () => {
    const started = performance.now();
    await port.sleep(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
    let ticks = 0;
    const cancel = port.every(5, () => ticks++);
    await port.sleep(40);
    cancel();
    const seen = ticks;
    expect(seen).toBeGreaterThanOrEqual(2);
    await port.sleep(20);
    expect(ticks).toBe(seen);
    const order: string[] = [];
    port.defer(() => order.push('deferred'));
    order.push('now');
    await port.sleep(1);
    expect(order).toEqual(['now', 'deferred']);
    process.env['TESSERA_PLATFORM_TEST'] = 'yes';
    expect(port.env('TESSERA_PLATFORM_TEST')).toBe('yes');
    expect(port.env('TESSERA_NOT_SET_ANYWHERE')).toBeUndefined();
    delete process.env['TESSERA_PLATFORM_TEST'];
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const log = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      port.warn('something to look at', 'TESSERA_TEST');
      const said = [
        ...emit.mock.calls.map((call) => String(call[0])),
        ...log.mock.calls.map((call) => String(call[0])),
      ];
      expect(said.some((line) => line.includes('something to look at'))).toBe(true);
    } finally {
      emit.mockRestore();
      log.mockRestore();
    }
  });
});
