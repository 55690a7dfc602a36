import { Buffer, isUtf8 } from 'node:buffer';
import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hash,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import process from 'node:process';
import type { AsymmetricAlgorithm, Bytes, ImportedKey, JwkMembers, Platform } from './port.js';
import { every, sleep } from './timers.js';

/**
 * The Node implementation of the {@link Platform} port: synchronous `node:crypto` with the
 * preallocated scratch buffers of the hot paths. Every closure here is synchronous, so a scratch
 * buffer is never shared between two calls in flight.
 */
export const nodePlatform: Platform<true> = Object.freeze({
  name: 'node',
  synchronous: true,
  randomBytes: (length: number) => new Uint8Array(randomBytes(length)),
  randomToken: (bytes: number) => randomBytes(bytes).toString('base64url'),
  randomUUID: () => randomUUID(),
  equalText,
  sha256: (text: string) => hash('sha256', text, 'base64url'),
  hmacSha256,
  importKey,
  signer,
  verifier,
  bytes: Object.freeze({
    toBase64url: (data: Uint8Array | string) =>
      (typeof data === 'string' ? Buffer.from(data, 'utf8') : toBuffer(data)).toString('base64url'),
    fromBase64url: (text: string) => new Uint8Array(Buffer.from(text, 'base64url')),
    decodeBase64urlInto: (text: string, target: Uint8Array) => toBuffer(target).write(text, 0, 'base64url'),
    utf8(bytes: Uint8Array, length: number): string | undefined {
      const buffer = toBuffer(bytes);
      const text = buffer.toString('utf8', 0, length);
      // Invalid UTF-8 decodes to U+FFFD; only then pay for the exact check (a real U+FFFD is legal).
      return text.includes('\uFFFD') && !isUtf8(buffer.subarray(0, length)) ? undefined : text;
    },
    alloc: (length: number) => Buffer.alloc(length),
    fromUtf8: (text: string) => new Uint8Array(Buffer.from(text, 'utf8')),
    utf8Length: (text: string) => Buffer.byteLength(text, 'utf8'),
  } satisfies Bytes),
  every,
  sleep,
  defer: (task: () => void) => process.nextTick(task),
  warn: (message: string, code: string) => process.emitWarning(message, { code }),
  env: (name: string) => process.env[name],
});

/** A Buffer view of `bytes` without a copy (Buffer.from on a Buffer would copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Scratch space for {@link equalText}: two views per length (MACs and signatures come in a handful of
 * lengths), written and compared synchronously. Two `Buffer.from` calls, or two fresh views, would
 * cost as much as the comparison itself.
 */
const SCRATCH_MAX = 1024;
/** UTF-16 code units, two bytes each: every string compares faithfully, not only ASCII ones. */
const scratch = Buffer.alloc(4 * SCRATCH_MAX);
const scratchViews: (readonly [Buffer, Buffer])[] = [];

function equalText(a: string, b: string): boolean {
  const length = a.length;
  if (b.length !== length) return false;
  if (length > SCRATCH_MAX) return timingSafeEqual(Buffer.from(a, 'utf16le'), Buffer.from(b, 'utf16le'));
  let views = scratchViews[length];
  if (views === undefined) {
    views = [scratch.subarray(0, 2 * length), scratch.subarray(2 * length, 4 * length)];
    scratchViews[length] = views;
  }
  views[0].write(a, 'utf16le');
  views[1].write(b, 'utf16le');
  return timingSafeEqual(views[0], views[1]);
}

/** SHA-256 block size in bytes (RFC 2104's B). */
const BLOCK = 64;
/** Longest message served from the prepared buffer (an access token's signing input fits); longer ones go through `createHmac`. */
const MAX_FAST_MESSAGE = 2048;

/**
 * HMAC-SHA256 of a latin1 message, prepared once per key, then a fast closure.
 *
 * Why not `createHmac` per call: it builds a native object each time, about 4 µs on the bench
 * machine for an 80-byte message, and a rotation needs two of them. The same construction from two
 * one-shot `crypto.hash` calls over buffers padded once here costs about 2 µs:
 * `H((K ^ opad) || H((K ^ ipad) || m))`, with a key longer than the block hashed first.
 * The RFC 4231 vectors and a property against `createHmac` (refresh's test/lib/hmac.test.ts) hold it
 * to the spec. The last message stays in the inner buffer (not wiped: the same token text lives in
 * strings on the heap anyway). Callers compare outputs in constant time.
 */
function hmacSha256(key: Uint8Array): (message: string) => string {
  const block = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const inner = Buffer.alloc(BLOCK + MAX_FAST_MESSAGE);
  const outer = Buffer.alloc(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const byte = block[i] ?? 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  const slowKey = Buffer.from(key);
  /** Views of `inner` by message length (token bodies come in a handful of lengths). */
  const views: Buffer[] = [];
  return (message) => {
    if (message.length > MAX_FAST_MESSAGE)
      return createHmac('sha256', slowKey).update(message, 'latin1').digest('base64url');
    const length = inner.write(message, BLOCK, 'latin1');
    let view = views[length];
    if (view === undefined) {
      view = inner.subarray(0, BLOCK + length);
      views[length] = view;
    }
    outer.write(hash('sha256', view, 'binary'), BLOCK, 'latin1');
    return hash('sha256', outer, 'base64url');
  };
}

interface NodeKeys {
  readonly privateKey: KeyObject | undefined;
  readonly publicKey: KeyObject;
}

function importKey(jwk: JwkMembers): ImportedKey | undefined {
  let privateKey: KeyObject | undefined;
  let publicKey: KeyObject;
  try {
    const input = { key: { ...jwk }, format: 'jwk' } as const;
    privateKey = jwk.d !== undefined ? createPrivateKey(input) : undefined;
    publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(input);
  } catch {
    // Node's message could describe the key material: the caller words its own.
    return undefined;
  }
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails ?? {};
  const kind =
    type === 'ed25519'
      ? 'ed25519'
      : type === 'ec' && details.namedCurve === 'prime256v1'
        ? 'p256'
        : type === 'rsa'
          ? 'rsa'
          : 'other';
  return {
    kind,
    modulusBits: kind === 'rsa' ? (details.modulusLength ?? 0) : 0,
    publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, string>,
    private: privateKey !== undefined,
    handle: { privateKey, publicKey } satisfies NodeKeys,
  };
}

/** RFC 7518 section 3.5: MGF1 with SHA-256 and a salt as long as the hash. */
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

/** The `node:crypto` digest and key options of `alg` for `key`. */
function keyOptions(alg: AsymmetricAlgorithm, key: KeyObject) {
  switch (alg) {
    case 'EdDSA':
      return { digest: null, options: key };
    case 'ES256':
      // JWS wants the fixed-size r||s form (RFC 7518 section 3.4), not DER.
      return { digest: 'sha256', options: { key, dsaEncoding: 'ieee-p1363' } as const };
    case 'RS256':
      return { digest: 'sha256', options: key };
    case 'PS256':
      return { digest: 'sha256', options: { key, ...PSS } };
  }
}

function signer(alg: AsymmetricAlgorithm, key: ImportedKey): (input: string) => string {
  const { privateKey } = key.handle as NodeKeys;
  if (privateKey === undefined) throw new TypeError('signer: not a private key');
  const { digest, options } = keyOptions(alg, privateKey);
  return (input) => sign(digest, Buffer.from(input, 'latin1'), options).toString('base64url');
}

function verifier(
  alg: AsymmetricAlgorithm,
  key: ImportedKey,
): (token: string, end: number, signature: Uint8Array) => boolean {
  const { digest, options } = keyOptions(alg, (key.handle as NodeKeys).publicKey);
  let input = Buffer.alloc(1024);
  return (token, end, signature) => {
    if (input.length < end) input = Buffer.alloc(end * 2);
    input.write(token, 0, end, 'latin1');
    return verify(digest, input.subarray(0, end), options, signature);
  };
}
