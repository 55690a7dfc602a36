import { ConfigError } from '../errors.js';
import type { Jwk, KeysOption } from '../types.js';
import { type Algorithm, createSigner, createVerifier, type Signer, type Verifier } from './algorithms.js';
import { base64urlLength, isCanonicalBase64url } from './base64url.js';
import { ed25519Weakness, MAX_RSA_BITS, MIN_RSA_BITS, rsaWeakness, secretWeakness } from './key-strength.js';
import { type ImportedKey, platform } from './platform/index.js';

/** One imported key, ready for the hot path. */
export interface KeyEntry {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly symmetric: boolean;
  /** Exact length in base64url characters of this key's signatures. */
  readonly signatureChars: number;
  readonly verify: Verifier;
  readonly sign: Signer | undefined;
  /** Public JWK for `jwks()`; undefined for HMAC secrets, which are never published. */
  readonly publicJwk: Jwk | undefined;
}

export interface KeySet {
  readonly signing: KeyEntry | undefined;
  readonly byKid: ReadonlyMap<string, KeyEntry>;
}

/** Imports and cross-checks the configured keys. Throws {@link ConfigError}; never echoes key material. */
export function importKeySet(keys: KeysOption): KeySet {
  const entries: KeyEntry[] = [];
  const signing = keys.sign === undefined ? undefined : importKey(keys.sign, 'sign', 'keys.sign');
  if (signing) entries.push(signing);
  (keys.verify ?? []).forEach((jwk, index) => {
    entries.push(importKey(jwk, 'verify', `keys.verify.${index}`));
  });
  if (entries.length === 0) {
    throw new ConfigError('keys: configure a signing key (keys.sign) or at least one verification key', {
      reason: 'no_keys',
      claim: 'keys',
    });
  }
  // Security: one HMAC secret beside public keys invites algorithm confusion (a public key used as
  // an HMAC secret); the families never mix in one instance.
  if (entries.some((e) => e.symmetric) && entries.some((e) => !e.symmetric)) {
    throw new ConfigError('keys: HS256 secrets cannot be mixed with asymmetric keys', {
      reason: 'mixed_key_families',
      claim: 'keys',
    });
  }
  const byKid = new Map<string, KeyEntry>();
  for (const entry of entries) {
    if (byKid.has(entry.kid)) {
      throw new ConfigError(`keys: duplicate kid "${entry.kid}"`, { reason: 'duplicate_kid', claim: 'keys' });
    }
    byKid.set(entry.kid, entry);
  }
  return { signing, byKid };
}

function importKey(jwk: Jwk, role: 'sign' | 'verify', path: string): KeyEntry {
  const fail = (message: string, reason: string): never => {
    throw new ConfigError(`${path}: ${message}`, { reason, claim: path });
  };
  const alg = jwk.alg as Algorithm;
  if (jwk.use !== undefined && jwk.use !== 'sig') fail('"use" must be "sig"', 'key_use');
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes(role))
    fail(`"key_ops" must include "${role}"`, 'key_ops');

  if (alg === 'HS256') {
    if (jwk.kty !== 'oct') fail('HS256 needs a JWK of kty "oct"', 'key_type');
    const key = { secret: decodeSecret(jwk.k, fail) };
    return {
      kid: jwk.kid,
      alg,
      symmetric: true,
      signatureChars: base64urlLength(32),
      verify: createVerifier(alg, key, 32),
      sign: role === 'sign' ? createSigner(alg, key) : undefined,
      publicJwk: undefined,
    };
  }

  if (jwk.kty === 'oct') fail(`${alg} cannot use a symmetric (oct) key`, 'key_type');
  const isPrivate = jwk.d !== undefined;
  // Security: a verifier holding a private key can mint tokens; refuse it where only verification was asked.
  if (role === 'verify' && isPrivate)
    fail('a private key was given where only verification is needed', 'private_key');
  if (role === 'sign' && !isPrivate) fail('the signing key must be a private JWK (with "d")', 'public_key');
  // RFC 7518 section 6.2.1.2: EC coordinates are exactly the field size (node:crypto takes longer ones).
  if (jwk.kty === 'EC' && !(coordinateBytes(jwk.x) === 32 && coordinateBytes(jwk.y) === 32))
    fail('EC coordinates must be 32 bytes each', 'invalid_jwk');
  // The platform's message could describe the key material: keep only our own words.
  const imported = platform.importKey(jwk, alg) ?? fail('not a valid JWK', 'invalid_jwk');
  const signatureBytes = checkAsymmetricKey(alg, imported, fail);
  const exported = imported.publicJwk;
  // Security: node:crypto imports keys that let anyone forge a signature; refuse them here.
  const weakness = publicKeyWeakness(exported);
  if (weakness !== undefined) fail(`the key allows forgery: ${weakness}`, 'weak_key');
  const key = { imported };
  return {
    kid: jwk.kid,
    alg,
    symmetric: false,
    signatureChars: base64urlLength(signatureBytes),
    verify: createVerifier(alg, key, signatureBytes),
    sign: imported.private ? createSigner(alg, key) : undefined,
    publicJwk: Object.freeze({ ...exported, kid: jwk.kid, alg, use: 'sig' }) as Jwk,
  };
}

function decodeSecret(k: string | undefined, fail: (message: string, reason: string) => never): Uint8Array {
  if (typeof k !== 'string' || k.length === 0) return fail('the HMAC secret "k" is empty', 'weak_secret');
  if (!isCanonicalBase64url(k)) return fail('"k" must be base64url', 'invalid_jwk');
  const secret = platform.bytes.fromBase64url(k);
  const weakness = secretWeakness(secret);
  if (weakness !== undefined) {
    return fail(`the HMAC secret is ${weakness}: generate it with generateSigningKey`, 'weak_secret');
  }
  return secret;
}

function coordinateBytes(member: string | undefined): number {
  return typeof member === 'string' && isCanonicalBase64url(member)
    ? platform.bytes.fromBase64url(member).length
    : -1;
}

/** The weakness of an exported public JWK (RSA modulus and exponent, Ed25519 point), if any. */
function publicKeyWeakness(exported: { kty?: string; n?: string; e?: string; x?: string; crv?: string }) {
  const bytes = (member: string | undefined) => platform.bytes.fromBase64url(member ?? '');
  if (exported.kty === 'RSA') return rsaWeakness(bytes(exported.n), bytes(exported.e));
  if (exported.kty === 'OKP' && exported.crv === 'Ed25519') return ed25519Weakness(bytes(exported.x));
  // EC: node:crypto itself refuses points off the curve (test/weak-keys.test.ts holds it to that).
  return undefined;
}

/** Checks that a public key suits `alg`; returns the signature length in bytes. */
function checkAsymmetricKey(
  alg: Algorithm,
  key: ImportedKey,
  fail: (message: string, reason: string) => never,
): number {
  switch (alg) {
    case 'EdDSA':
      if (key.kind !== 'ed25519') fail('EdDSA needs an Ed25519 key', 'key_type');
      return 64;
    case 'ES256':
      if (key.kind !== 'p256') fail('ES256 needs a P-256 key', 'key_type');
      return 64;
    default: {
      if (key.kind !== 'rsa') fail(`${alg} needs an RSA key`, 'key_type');
      const bits = key.modulusBits;
      if (bits < MIN_RSA_BITS) fail(`RSA keys must be at least ${MIN_RSA_BITS} bits`, 'weak_key');
      if (bits > MAX_RSA_BITS) fail(`RSA keys larger than ${MAX_RSA_BITS} bits are refused`, 'key_size');
      return Math.ceil(bits / 8);
    }
  }
}
