import { ConfigError } from '@tessera/core';
import { cryptoPlatform, platform } from '@tessera/core/internal';
import type { DpopKey } from './dpop-key.js';

/** What a proof is for (RFC 9449 section 4.2). */
export interface ProofTarget {
  /** The request's method. */
  readonly method: string;
  /** The request's absolute URL (query and fragment are left out of `htu`). */
  readonly url: string;
  /** The access token the request presents: its hash goes in `ath`. */
  readonly accessToken?: string;
  /** The server's latest `DPoP-Nonce`, when it asks for one. */
  readonly nonce?: string;
}

/**
 * A DPoP proof (RFC 9449 section 4) for one request: `typ: dpop+jwt`, ES256, the public key in the
 * header, a fresh random `jti`, `htm`, `htu`, `iat`, and `ath` and `nonce` when given. Each call makes
 * a new proof: a server accepts each one once.
 */
export async function createDpopProof(key: DpopKey, target: ProofTarget): Promise<string> {
  let htu: string;
  try {
    const url = new URL(target.url);
    htu = `${url.origin}${url.pathname}`;
  } catch {
    throw new ConfigError('createDpopProof: url must be an absolute URL', {
      reason: 'invalid_input',
      claim: 'url',
    });
  }
  if (typeof target.method !== 'string' || !/^[A-Za-z]{1,16}$/.test(target.method)) {
    throw new ConfigError('createDpopProof: method must be an HTTP method', {
      reason: 'invalid_input',
      claim: 'method',
    });
  }
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk };
  const claims: Record<string, string | number> = {
    jti: platform.randomToken(16),
    htm: target.method.toUpperCase(),
    htu,
    iat: Math.floor(Date.now() / 1000),
  };
  // ath: the access token's SHA-256, base64url (section 4.2).
  if (target.accessToken !== undefined) claims.ath = await cryptoPlatform.sha256(target.accessToken);
  if (target.nonce !== undefined) claims.nonce = target.nonce;
  const input = `${platform.bytes.toBase64url(JSON.stringify(header))}.${platform.bytes.toBase64url(JSON.stringify(claims))}`;
  // WebCrypto's ECDSA signature is r || s, which is JWS's ES256 form already.
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    key.keyPair.privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${platform.bytes.toBase64url(new Uint8Array(signature))}`;
}
