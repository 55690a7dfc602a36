import { calculateJwkThumbprint, exportJWK, generateKeyPair, generateSecret } from 'jose';
import { ConfigError } from './errors.js';
import { ALGORITHMS, type Algorithm } from './lib/algorithms.js';
import type { Jwk } from './types.js';

/** Options of {@link generateSigningKey}. */
export interface GenerateSigningKeyOptions {
  /** The key id. Default: the RFC 7638 JWK thumbprint of the public key (or of the secret, for HS256). */
  readonly kid?: string;
  /** RSA modulus length in bits, for RS256 and PS256. Default 2048 (the minimum tessera accepts). */
  readonly modulusLength?: number;
}

/**
 * Generates a new signing key as a private JWK carrying `kid`, `alg` and `use: "sig"`, ready for
 * `createAccessTokens({ keys: { sign } })`. Keys come from the platform CSPRNG.
 *
 * The result holds private key material (or the HMAC secret): store it like a password.
 *
 * @example
 * ```ts
 * const sign = await generateSigningKey('EdDSA', { kid: '2026-11' });
 * ```
 */
export async function generateSigningKey(
  alg: Algorithm = 'EdDSA',
  options: GenerateSigningKeyOptions = {},
): Promise<Jwk> {
  if (!(ALGORITHMS as readonly string[]).includes(alg)) {
    throw new ConfigError(`generateSigningKey: unsupported algorithm; use one of ${ALGORITHMS.join(', ')}`, {
      reason: 'unsupported_alg',
    });
  }
  const { kid, modulusLength = 2048 } = options;
  if (kid !== undefined && (typeof kid !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(kid))) {
    throw new ConfigError('generateSigningKey: kid must be 1-256 printable ASCII characters', {
      reason: 'kid',
    });
  }
  if (!Number.isInteger(modulusLength) || modulusLength < 2048 || modulusLength > 8192) {
    throw new ConfigError('generateSigningKey: modulusLength must be an integer from 2048 to 8192', {
      reason: 'modulus_length',
    });
  }
  let jwk: Record<string, unknown>;
  if (alg === 'HS256') {
    jwk = { ...(await exportJWK(await generateSecret('HS256', { extractable: true }))) };
  } else {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
      ...(alg === 'RS256' || alg === 'PS256' ? { modulusLength } : {}),
    });
    jwk = { ...(await exportJWK(privateKey)) };
  }
  delete jwk['key_ops'];
  delete jwk['ext'];
  const thumbprintInput =
    alg === 'HS256'
      ? { kty: 'oct', k: jwk['k'] }
      : Object.fromEntries(Object.entries(jwk).filter(([name]) => name !== 'd'));
  const resolvedKid =
    kid ?? (await calculateJwkThumbprint(thumbprintInput as Parameters<typeof calculateJwkThumbprint>[0]));
  return Object.freeze({ ...jwk, kid: resolvedKid, alg, use: 'sig' }) as Jwk;
}
