import { BASE64URL_ALPHABET, SIX_BITS } from '../base64url-alphabet.js';
import { PRIVATE_JWK_MEMBERS, publicMembersOf } from '../jwk-members.js';
import type { Answer, AsymmetricAlgorithm, Bytes, ImportedKey, JwkMembers, Platform } from './port.js';
import { every, sleep } from './timers.js';

/**
 * The WebCrypto implementation of the {@link Platform} port: `crypto.subtle`, asynchronous, no
 * buffer shared between calls. It needs only what the Fetch-and-WebCrypto runtimes (browsers, Deno,
 * Bun, Cloudflare workerd, Node) have in common.
 */
export const webPlatform: Platform<false> = Object.freeze({
  name: 'webcrypto',
  synchronous: false,
  randomBytes,
  randomToken: (bytes: number) => toBase64url(randomBytes(bytes)),
  randomUUID: () => crypto.randomUUID(),
  equalText,
  sha256: async (text: string) =>
    toBase64url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))),
  hmacSha256,
  importKey,
  signer,
  verifier,
  bytes: Object.freeze({
    toBase64url: (data: Uint8Array | string) =>
      toBase64url(typeof data === 'string' ? encoder.encode(data) : data),
    fromBase64url(text: string): Uint8Array {
      const target = new Uint8Array((text.length * 3) >> 2);
      return target.subarray(0, decodeBase64urlInto(text, target));
    },
    decodeBase64urlInto,
    utf8(bytes: Uint8Array, length: number): string | undefined {
      try {
        return strictDecoder.decode(bytes.subarray(0, length));
      } catch {
        return undefined;
      }
    },
    alloc: (length: number) => new Uint8Array(length),
    fromUtf8: (text: string) => encoder.encode(text),
    utf8Length: (text: string) => encoder.encode(text).length,
  } satisfies Bytes),
  every,
  sleep,
  defer: (task: () => void) => queueMicrotask(task),
  warn: (message: string, code: string) => console.warn(`${code}: ${message}`),
  // Deno and Bun expose process.env too; browsers and workerd have no environment.
  env: (name: string) =>
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name],
});

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let offset = 0; offset < length; offset += 65536)
    crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)));
  return bytes;
}

function equalText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

const ALPHABET = BASE64URL_ALPHABET;

function toBase64url(bytes: Uint8Array): string {
  let text = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return text;
}

/** Writes the bytes of base64url `text` into `target`; stops at the first character outside the alphabet. */
function decodeBase64urlInto(text: string, target: Uint8Array): number {
  let written = 0;
  let bits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const six = code < 128 ? SIX_BITS[code]! : -1;
    if (six < 0) return written;
    value = ((value << 6) | six) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (written >= target.length) return written;
      target[written++] = (value >> bits) & 0xff;
    }
  }
  return written;
}

function hmacSha256(key: Uint8Array): (message: string) => Promise<string> {
  const imported = crypto.subtle.importKey('raw', copy(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return async (message) =>
    toBase64url(new Uint8Array(await crypto.subtle.sign('HMAC', await imported, latin1(message))));
}

/** A fresh ArrayBuffer-backed copy (WebCrypto takes no shared or resizable buffers). */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

function latin1(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** The WebCrypto import and sign parameters of `alg`. */
function parameters(alg: AsymmetricAlgorithm, jwk: JwkMembers) {
  switch (alg) {
    case 'EdDSA':
      return { importAs: { name: 'Ed25519' }, signWith: { name: 'Ed25519' } };
    case 'ES256':
      return {
        importAs: { name: 'ECDSA', namedCurve: typeof jwk.crv === 'string' ? jwk.crv : 'P-256' },
        signWith: { name: 'ECDSA', hash: 'SHA-256' },
      };
    case 'RS256':
      return {
        importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        signWith: { name: 'RSASSA-PKCS1-v1_5' },
      };
    case 'PS256':
      // RFC 7518 section 3.5: MGF1 with SHA-256 and a salt as long as the hash.
      return {
        importAs: { name: 'RSA-PSS', hash: 'SHA-256' },
        signWith: { name: 'RSA-PSS', saltLength: 32 },
      };
  }
}

const PRIVATE_MEMBERS = new Set(PRIVATE_JWK_MEMBERS);
/** Members that WebCrypto checks against the usage it is asked for; the caller checked them already. */
const USAGE_MEMBERS = new Set(['alg', 'use', 'key_ops', 'ext', 'kid']);

interface WebKeys {
  readonly privateKey: CryptoKey | undefined;
  readonly publicKey: CryptoKey;
  readonly signWith: AlgorithmIdentifier | RsaPssParams | EcdsaParams;
}

async function importKey(jwk: JwkMembers, alg: AsymmetricAlgorithm): Promise<ImportedKey | undefined> {
  const { importAs, signWith } = parameters(alg, jwk);
  const members = Object.entries(jwk).filter(([name]) => !USAGE_MEMBERS.has(name));
  const publicMembers = Object.fromEntries(members.filter(([name]) => !PRIVATE_MEMBERS.has(name)));
  try {
    const privateKey =
      jwk.d === undefined
        ? undefined
        : await crypto.subtle.importKey('jwk', Object.fromEntries(members) as JsonWebKey, importAs, false, [
            'sign',
          ]);
    const publicKey = await crypto.subtle.importKey('jwk', publicMembers as JsonWebKey, importAs, true, [
      'verify',
    ]);
    const exported = (await crypto.subtle.exportKey('jwk', publicKey)) as Record<string, unknown>;
    const publicJwk = publicMembersOf(exported, Number.POSITIVE_INFINITY) ?? {};
    const algorithm = publicKey.algorithm as Partial<RsaHashedKeyAlgorithm & EcKeyAlgorithm>;
    const kind =
      importAs.name === 'Ed25519'
        ? 'ed25519'
        : importAs.name === 'ECDSA'
          ? algorithm.namedCurve === 'P-256'
            ? 'p256'
            : 'other'
          : 'rsa';
    return {
      kind,
      modulusBits: kind === 'rsa' ? (algorithm.modulusLength ?? 0) : 0,
      publicJwk,
      private: privateKey !== undefined,
      handle: { privateKey, publicKey, signWith } satisfies WebKeys,
    };
  } catch {
    // The platform's message could describe the key material: the caller words its own.
    return undefined;
  }
}

function signer(_alg: AsymmetricAlgorithm, key: ImportedKey): (input: string) => Answer<string, false> {
  const { privateKey, signWith } = key.handle as WebKeys;
  if (privateKey === undefined) throw new TypeError('signer: not a private key');
  // The signing input is base64url: ASCII, so its UTF-8 bytes are its latin1 ones (and encode is native).
  return async (input) =>
    toBase64url(new Uint8Array(await crypto.subtle.sign(signWith, privateKey, encoder.encode(input))));
}

function verifier(
  _alg: AsymmetricAlgorithm,
  key: ImportedKey,
): (token: string, end: number, signature: Uint8Array) => Answer<boolean, false> {
  const { publicKey, signWith } = key.handle as WebKeys;
  // The token is ASCII (checked before any crypto work): its UTF-8 bytes are its latin1 ones.
  // WebCrypto copies its arguments when called (the caller's scratch buffer is free again at once).
  return (token, end, signature) =>
    crypto.subtle.verify(
      signWith,
      publicKey,
      signature as Uint8Array<ArrayBuffer>,
      encoder.encode(token.slice(0, end)),
    );
}
