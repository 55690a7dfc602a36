/**
 * Which JWK members are what, in one place: the members that hold private key material, and the
 * public members of each asymmetric key type.
 */

/** Members that hold private key material (RFC 7518 section 6): never part of a public key. */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The public members of each asymmetric key type, in lexicographic order: what a public key is made
 * of, and (in this order) what its RFC 7638 thumbprint covers.
 */
const PUBLIC_JWK_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** True when `jwk` carries any private member. */
export function hasPrivateMember(jwk: Readonly<Record<string, unknown>>): boolean {
  return PRIVATE_JWK_MEMBERS.some((name) => jwk[name] !== undefined);
}

/**
 * The public members of an asymmetric JWK, in lexicographic order; undefined for another key type,
 * or when one is missing or not a non-empty string of at most `maxLength` characters.
 */
export function publicMembersOf(
  jwk: Readonly<Record<string, unknown>>,
  maxLength = 2048,
): Record<string, string> | undefined {
  const names = PUBLIC_JWK_MEMBERS[String(jwk['kty'])];
  if (names === undefined) return undefined;
  const members: Record<string, string> = {};
  for (const name of names) {
    const value = jwk[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) return undefined;
    members[name] = value;
  }
  return members;
}
