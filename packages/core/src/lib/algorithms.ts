import { decodeCanonicalBase64url } from './base64url.js';
import type { Maybe } from './maybe.js';
import { type AsymmetricAlgorithm, cryptoPlatform, type ImportedKey } from './platform/index.js';

/**
 * The JWS algorithms tessera signs and verifies. EdDSA means Ed25519; `Ed25519` is its fully
 * specified name (RFC 9864), accepted beside it.
 */
export const ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256', 'RS256', 'PS256', 'HS256'] as const;
/**
 * A JWS algorithm tessera signs and verifies: EdDSA or Ed25519 (the same Ed25519 signature, RFC 9864),
 * ES256, RS256, PS256 or HS256.
 */
export type Algorithm = (typeof ALGORITHMS)[number];

/**
 * The algorithm names a token may carry for a key of `alg`. An Ed25519 key answers to both `EdDSA`
 * and its fully specified name `Ed25519` (RFC 9864 section 2: the same signature); every other key
 * to its one name.
 */
export function acceptedNames(alg: Algorithm): readonly string[] {
  return alg === 'EdDSA' || alg === 'Ed25519' ? ['EdDSA', 'Ed25519'] : [alg];
}

/** The platform's name for an asymmetric algorithm (`Ed25519` is `EdDSA` to the platform). */
export function platformAlgorithm(alg: Exclude<Algorithm, 'HS256'>): AsymmetricAlgorithm {
  return alg === 'Ed25519' ? 'EdDSA' : alg;
}

/** Signs an ASCII signing input; returns the signature as base64url (a promise on WebCrypto). */
export type Signer = (signingInput: string) => Maybe<string>;
/**
 * Verifies the signature of an ASCII compact token whose signing input ends at `end` (the second
 * dot); false also for a non-canonical spelling of the signature. A promise on WebCrypto.
 */
export type Verifier = (token: string, end: number) => Maybe<boolean>;

/** What a key of each family is, once imported: an HMAC secret, or a platform key. */
export type SigningKey = { readonly secret: Uint8Array } | { readonly imported: ImportedKey };

/** A signer bound to one key (validated elsewhere to suit `alg`). */
export function createSigner(alg: Algorithm, key: SigningKey): Signer {
  if ('secret' in key) return cryptoPlatform.hmacSha256(key.secret);
  if (alg === 'HS256') throw new TypeError('HS256 needs a secret');
  return cryptoPlatform.signer(platformAlgorithm(alg), key.imported);
}

/**
 * A verifier bound to one key. HS256 compares base64url MACs in constant time (a byte-by-byte early
 * exit would leak the MAC one byte at a time); since our MAC is canonical, an equal one is too.
 * Asymmetric signatures are decoded into a scratch buffer of the exact signature size, refusing any
 * non-canonical spelling. The platform reads the buffer before it answers (Node: synchronously;
 * WebCrypto copies its arguments when called), so one buffer is never shared by two checks.
 */
export function createVerifier(alg: Algorithm, key: SigningKey, signatureBytes: number): Verifier {
  if ('secret' in key) {
    const mac = cryptoPlatform.hmacSha256(key.secret);
    return (token, end) => {
      const presented = token.slice(end + 1);
      const expected = mac(token.slice(0, end));
      return typeof expected === 'string'
        ? cryptoPlatform.equalText(expected, presented)
        : expected.then((value) => cryptoPlatform.equalText(value, presented));
    };
  }
  if (alg === 'HS256') throw new TypeError('HS256 needs a secret');
  const signature = cryptoPlatform.bytes.alloc(signatureBytes);
  const check = cryptoPlatform.verifier(platformAlgorithm(alg), key.imported);
  return (token, end) =>
    decodeCanonicalBase64url(token.slice(end + 1), signature) === signatureBytes &&
    check(token, end, signature);
}
