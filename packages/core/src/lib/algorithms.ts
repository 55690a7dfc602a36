import { constants, createHmac, type KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { decodeCanonicalBase64url } from './base64url.js';

/** The JWS algorithms tessera signs and verifies. EdDSA means Ed25519. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'PS256', 'HS256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Signs an ASCII signing input; returns the signature as base64url. */
export type Signer = (signingInput: string) => string;
/**
 * Verifies the signature of an ASCII compact token whose signing input ends at `end` (the second
 * dot); false also for a non-canonical spelling of the signature.
 */
export type Verifier = (token: string, end: number) => boolean;

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;

/** A signer bound to one key (validated elsewhere to suit `alg`). */
export function createSigner(alg: Algorithm, key: KeyObject): Signer {
  switch (alg) {
    case 'HS256':
      return (input) => createHmac('sha256', key).update(input, 'latin1').digest('base64url');
    case 'EdDSA':
      return (input) => sign(null, Buffer.from(input, 'latin1'), key).toString('base64url');
    case 'ES256': {
      // JWS wants the fixed-size r||s form (RFC 7518 section 3.4), not DER.
      const options = { key, dsaEncoding: 'ieee-p1363' } as const;
      return (input) => sign('sha256', Buffer.from(input, 'latin1'), options).toString('base64url');
    }
    case 'RS256':
      return (input) => sign('sha256', Buffer.from(input, 'latin1'), key).toString('base64url');
    case 'PS256': {
      // RFC 7518 section 3.5: MGF1 with SHA-256 and a salt as long as the hash.
      const options = { key, ...PSS } as const;
      return (input) => sign('sha256', Buffer.from(input, 'latin1'), options).toString('base64url');
    }
  }
}

/**
 * A verifier bound to one key. It decodes the base64url signature into its own scratch buffer of the
 * exact signature size, refusing any non-canonical spelling. Verification is synchronous, so scratch
 * buffers are never shared between two calls in flight.
 */
export function createVerifier(alg: Algorithm, key: KeyObject, signatureBytes: number): Verifier {
  const signature = Buffer.alloc(signatureBytes);
  if (alg === 'HS256') {
    // The token is ASCII, so hashing the string as latin1 hashes exactly its bytes, with no copy.
    // Constant-time comparison: a byte-by-byte early exit would leak the MAC one byte at a time.
    return (token, end) =>
      decodeCanonicalBase64url(token.slice(end + 1), signature) === signatureBytes &&
      timingSafeEqual(createHmac('sha256', key).update(token.slice(0, end), 'latin1').digest(), signature);
  }
  const check = createSignatureCheck(alg, key);
  let input = Buffer.alloc(1024);
  return (token, end) => {
    if (decodeCanonicalBase64url(token.slice(end + 1), signature) !== signatureBytes) return false;
    if (input.length < end) input = Buffer.alloc(end * 2);
    input.write(token, 0, end, 'latin1');
    return check(input.subarray(0, end), signature);
  };
}

function createSignatureCheck(
  alg: Exclude<Algorithm, 'HS256'>,
  key: KeyObject,
): (data: Buffer, signature: Buffer) => boolean {
  switch (alg) {
    case 'EdDSA':
      return (data, signature) => verify(null, data, key, signature);
    case 'ES256': {
      const options = { key, dsaEncoding: 'ieee-p1363' } as const;
      return (data, signature) => verify('sha256', data, options, signature);
    }
    case 'RS256':
      return (data, signature) => verify('sha256', data, key, signature);
    case 'PS256': {
      const options = { key, ...PSS } as const;
      return (data, signature) => verify('sha256', data, options, signature);
    }
  }
}
