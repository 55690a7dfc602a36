import { andThen, type Maybe } from './maybe.js';
import { cryptoPlatform } from './platform/index.js';

/** The members of a public key that its RFC 7638 thumbprint covers, by key type. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url): the hash of the required members in
 * lexicographic order, as JSON without whitespace. What DPoP binds a token to (`cnf.jkt`, RFC 9449
 * section 6). Undefined for a key type without a thumbprint rule or a missing member.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): Maybe<string> | undefined {
  const members = REQUIRED_MEMBERS[String(jwk['kty'])];
  if (members === undefined) return undefined;
  const parts: string[] = [];
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string' || value.length === 0) return undefined;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  return andThen(cryptoPlatform.sha256(`{${parts.join(',')}}`), (digest) => digest);
}
