import { publicMembersOf } from './jwk-members.js';
import type { Maybe } from './maybe.js';
import { cryptoPlatform } from './platform/index.js';

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url): the hash of the required members in
 * lexicographic order, as JSON without whitespace. What DPoP binds a token to (`cnf.jkt`, RFC 9449
 * section 6). Undefined for a key type without a thumbprint rule or a missing member.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): Maybe<string> | undefined {
  const members = publicMembersOf(jwk);
  if (members === undefined) return undefined;
  const parts = Object.entries(members).map(
    ([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`,
  );
  return cryptoPlatform.sha256(`{${parts.join(',')}}`);
}
