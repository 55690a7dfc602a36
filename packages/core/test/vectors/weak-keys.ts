/**
 * Weak-key vectors: keys that parse but allow forgery, as test data. Ed25519 encodings are
 * little-endian hex (RFC 8032 section 5.1.2), from libsodium's small-order blocklist and the
 * non-canonical range y >= p; RSA exponents are relative to a generated modulus n.
 */

/** The eight small-order points of Ed25519 (orders 1, 2, 4, 4, 8, 8, 8, 8). */
export const ED25519_SMALL_ORDER: readonly (readonly [name: string, hex: string])[] = [
  ['identity (order 1)', '0100000000000000000000000000000000000000000000000000000000000000'],
  ['y = p - 1 (order 2)', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['y = 0, x positive (order 4)', '0000000000000000000000000000000000000000000000000000000000000000'],
  ['y = 0, x negative (order 4)', '0000000000000000000000000000000000000000000000000000000000000080'],
  ['order 8, first y, x positive', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
  ['order 8, first y, x negative', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'],
  ['order 8, second y, x positive', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
  ['order 8, second y, x negative', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'],
];

/** Non-canonical Ed25519 encodings: y = p + k (k = 0..18) with either sign bit, and "negative zero" x. */
export const ED25519_NON_CANONICAL: readonly (readonly [name: string, hex: string])[] = [
  ...Array.from({ length: 19 }, (_, k) =>
    (['7f', 'ff'] as const).map((top) => {
      const bytes = Buffer.alloc(32, 0xff);
      bytes[0] = 0xed + k;
      bytes[31] = Number.parseInt(top, 16);
      return [`y = p + ${k}${top === 'ff' ? ', sign bit set' : ''}`, bytes.toString('hex')] as const;
    }),
  ).flat(),
  ['identity with the sign bit (x = -0)', '0100000000000000000000000000000000000000000000000000000000000080'],
  [
    'y = p - 1 with the sign bit (x = -0)',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  ],
];

/** RSA public exponents that must be refused, as functions of the modulus n. */
export const RSA_WEAK_EXPONENTS: readonly (readonly [name: string, e: (n: bigint) => bigint])[] = [
  ['0', () => 0n],
  ['1', () => 1n],
  ['2', () => 2n],
  ['3', () => 3n],
  ['17', () => 17n],
  ['65535 (odd, below 65537)', () => 65535n],
  ['65538 (even)', () => 65538n],
  ['n', (n) => n],
  ['n + 2', (n) => n + 2n],
  ['2^256 + 1', () => 2n ** 256n + 1n],
];

/** Secrets (HS256 keys and refresh MAC secrets alike) that must be refused. */
export const WEAK_SECRETS: readonly (readonly [name: string, bytes: Buffer])[] = [
  ['empty', Buffer.alloc(0)],
  ['31 random-looking bytes', Buffer.from('0123456789abcdefghijklmnopqrstu')],
  ['32 zero bytes', Buffer.alloc(32)],
  ["'a' x 32", Buffer.from('a'.repeat(32))],
  ["'password' x 4", Buffer.from('password'.repeat(4))],
  ["'abcdefghijklmnop' x 2 (16 distinct bytes, repeated)", Buffer.from('abcdefghijklmnop'.repeat(2))],
  ['a 12-character unit x 3', Buffer.from('qwertyuiop[]'.repeat(3))],
];
