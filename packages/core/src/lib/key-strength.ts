/**
 * Keys that parse fine but let anyone forge a token. Each check returns a short reason (a stable
 * `ConfigError` reason suffix) or undefined for a sound key. They run on the JWK members themselves,
 * before `node:crypto` sees the key, because `node:crypto` imports every one of these weak keys
 * (test/weak-keys.test.ts shows the forgeries they allow).
 */

/** RFC 7518 section 3.2: an HMAC key at least as long as the hash output. */
export const MIN_SECRET_BYTES = 32;
/** A random 32-byte secret has about 28 distinct byte values; fewer than this means a patterned secret. */
const MIN_SECRET_DISTINCT_BYTES = 12;
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
/** NIST SP 800-56B section 6.2: 65537 <= e < 2^256, e odd. */
const MIN_RSA_EXPONENT = 65537n;
const MAX_RSA_EXPONENT_BITS = 256;

/**
 * Why an HMAC secret (an HS256 key or a refresh-token MAC secret) is too weak, or undefined.
 * Refused: shorter than 32 bytes; fewer than 12 distinct byte values (`'a' x 32`, 32 zero bytes);
 * a shorter unit repeated (`'password1' x 4`, any period of at most half the length).
 */
export function secretWeakness(secret: Uint8Array): string | undefined {
  if (secret.length < MIN_SECRET_BYTES) return `shorter than ${MIN_SECRET_BYTES} bytes`;
  if (new Set(secret).size < MIN_SECRET_DISTINCT_BYTES) return 'patterned (too few distinct bytes)';
  if (smallestPeriod(secret) <= secret.length / 2) return 'patterned (a repeated sequence)';
  return undefined;
}

/** The smallest p such that secret[i] === secret[i + p] for every i (the KMP failure function). */
function smallestPeriod(bytes: Uint8Array): number {
  const failure = new Int32Array(bytes.length);
  let k = 0;
  for (let i = 1; i < bytes.length; i++) {
    while (k > 0 && bytes[i] !== bytes[k]) k = failure[k - 1]!;
    if (bytes[i] === bytes[k]) k++;
    failure[i] = k;
  }
  return bytes.length - (failure[bytes.length - 1] ?? 0);
}

/**
 * Why an RSA public key (modulus and exponent, big-endian bytes) allows forgery or is out of policy.
 * Security: with e = 1 the PKCS#1 v1.5 "signature" of a message is its padded digest, computable by
 * anyone; small or even exponents and even moduli break the trapdoor in other ways.
 */
export function rsaWeakness(modulus: Uint8Array, exponent: Uint8Array): string | undefined {
  const n = toBigInt(modulus);
  const e = toBigInt(exponent);
  const bits = n.toString(2).length;
  if (n === 0n || bits < MIN_RSA_BITS) return `modulus below ${MIN_RSA_BITS} bits`;
  if (bits > MAX_RSA_BITS) return `modulus above ${MAX_RSA_BITS} bits`;
  if ((n & 1n) === 0n) return 'even modulus';
  if ((e & 1n) === 0n) return 'even exponent';
  if (e < MIN_RSA_EXPONENT) return 'exponent below 65537';
  if (e.toString(2).length > MAX_RSA_EXPONENT_BITS) return 'exponent of 2^256 or more';
  return undefined;
}

/** The Ed25519 field prime, 2^255 - 19. */
const P = 2n ** 255n - 19n;
/**
 * The y coordinates of the eight points of small order (1, 2, 4 and 8) on Ed25519, as libsodium's
 * blocklist lists them: y = 1 (the identity), p - 1 (order 2), 0 (order 4, two points), and the two
 * y values of the four points of order 8. An x sign bit selects between points of one y.
 */
const SMALL_ORDER_Y: ReadonlySet<bigint> = new Set([
  0n,
  1n,
  P - 1n,
  0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n,
  0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826n,
]);

/**
 * Why an Ed25519 public key (its 32-byte encoding, RFC 8032 section 5.1.2) allows forgery, or
 * undefined. Security: a small-order point A makes [h]A take at most eight values, so one fixed
 * signature verifies for every message (with the identity, for all of them). Refused too: every
 * non-canonical encoding (y >= p, or the sign bit set on x = 0), so each key has one spelling.
 */
export function ed25519Weakness(encoded: Uint8Array): string | undefined {
  if (encoded.length !== 32) return 'not 32 bytes';
  const bytes = Uint8Array.from(encoded);
  const sign = bytes[31]! >> 7;
  bytes[31]! &= 0x7f;
  const y = toBigInt(bytes.reverse());
  if (y >= P) return 'non-canonical point encoding';
  // x = 0 only for y = 1 and y = p - 1; "negative zero" is a second spelling of those points.
  if (sign === 1 && (y === 1n || y === P - 1n)) return 'non-canonical point encoding';
  if (SMALL_ORDER_Y.has(y)) return 'point of small order';
  if (!hasCurvePoint(y)) return 'not a point on the curve';
  return undefined;
}

/** The Edwards curve constant d = -121665 / 121666 mod p. */
const D = mod(-121665n * modPow(121666n, P - 2n));

/** True when some x puts (x, y) on -x^2 + y^2 = 1 + d x^2 y^2: (y^2 - 1) / (d y^2 + 1) is a square mod p. */
function hasCurvePoint(y: bigint): boolean {
  const y2 = mod(y * y);
  const x2 = mod((y2 - 1n) * modPow(mod(D * y2 + 1n), P - 2n));
  return x2 === 0n || modPow(x2, (P - 1n) / 2n) === 1n;
}

function mod(value: bigint): bigint {
  const r = value % P;
  return r < 0n ? r + P : r;
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return BigInt(`0x${hex}`);
}
