import { ConfigError, TokenSignatureError } from '../errors.js';
import type { Jwk, KeysOption } from '../types.js';
import {
  type Algorithm,
  acceptedNames,
  createSigner,
  createVerifier,
  platformAlgorithm,
  type Signer,
  type Verifier,
} from './algorithms.js';
import { base64urlLength, isCanonicalBase64url } from './base64url.js';
import { ed25519Weakness, MAX_RSA_BITS, MIN_RSA_BITS, rsaWeakness, secretWeakness } from './key-strength.js';
import { allOf, andThen, type Maybe } from './maybe.js';
import { cryptoPlatform, type ImportedKey, platform } from './platform/index.js';

/** One imported key, ready for the hot path. */
export interface KeyEntry {
  readonly kid: string;
  readonly alg: Algorithm;
  /** The `alg` header values this key answers to (see `acceptedNames`). */
  readonly names: readonly string[];
  readonly symmetric: boolean;
  /** Exact length in base64url characters of this key's signatures. */
  readonly signatureChars: number;
  readonly verify: Verifier;
  readonly sign: Signer | undefined;
  /** Public JWK for `jwks()`; undefined for HMAC secrets, which are never published. */
  readonly publicJwk: Jwk | undefined;
}

/**
 * Where the keys of a remote JWK Set come from, as the key ring reads them: the current entries and a
 * version that changes whenever they do (see `remote-jwks.ts`).
 */
export interface RemoteEntries {
  readonly version: number;
  readonly entries: ReadonlyMap<string, KeyEntry>;
}

/**
 * The keys an instance verifies with: the configured ones, and those of a remote set when there is
 * one. `version` changes whenever the keys do, so a cache of resolved headers knows to let go.
 */
export class KeyRing {
  /** The configured keys by kid. */
  private readonly fixed: ReadonlyMap<string, KeyEntry>;
  private byKid: ReadonlyMap<string, KeyEntry>;
  private seenRemote = -1;

  constructor(
    readonly signing: KeyEntry | undefined,
    fixed: ReadonlyMap<string, KeyEntry>,
    private readonly remote: RemoteEntries | undefined,
  ) {
    this.fixed = fixed;
    this.byKid = fixed;
  }

  /** Changes whenever the keys do (a remote set refreshed). */
  get version(): number {
    return this.remote === undefined ? 0 : this.remote.version;
  }

  /** The configured keys (what `jwks()` publishes; remote keys are someone else's to publish). */
  configured(): IterableIterator<KeyEntry> {
    return this.fixed.values();
  }

  /**
   * The key that must verify a token whose header names `alg` and `kid` (which may be absent).
   * Throws `ERR_TOKEN_SIGNATURE`: reason `kid_unknown` when no key fits (a remote set may be refetched
   * for it), `kid_ambiguous` when a token without `kid` fits several keys, `alg_not_allowed` when the
   * key named does not answer to `alg`.
   */
  find(alg: string, kid: string | undefined): KeyEntry {
    const keys = this.current();
    if (kid === undefined) {
      // A token without `kid` (other issuers send them): acceptable only when exactly one key answers
      // to its algorithm, so the token never gets to choose between keys.
      let found: KeyEntry | undefined;
      for (const entry of keys.values()) {
        if (!entry.names.includes(alg)) continue;
        if (found !== undefined) {
          throw new TokenSignatureError('the token has no "kid" and several keys fit its algorithm', {
            reason: 'kid_ambiguous',
            claim: 'kid',
          });
        }
        found = entry;
      }
      if (found === undefined) {
        throw new TokenSignatureError('the token has no "kid" and no key fits its algorithm', {
          reason: 'kid_unknown',
          claim: 'kid',
        });
      }
      return found;
    }
    const entry = keys.get(kid);
    if (entry === undefined) {
      throw new TokenSignatureError('no key with the token\'s "kid"', {
        reason: 'kid_unknown',
        claim: 'kid',
      });
    }
    // Security: the key decides the algorithm, never the token. `none`, HS256 against a public key and
    // any other mismatch stop here.
    if (!entry.names.includes(alg)) {
      throw new TokenSignatureError("the token's algorithm is not allowed for this key", {
        reason: 'alg_not_allowed',
        claim: 'alg',
      });
    }
    return entry;
  }

  private current(): ReadonlyMap<string, KeyEntry> {
    const remote = this.remote;
    if (remote === undefined || remote.version === this.seenRemote) return this.byKid;
    // Configured keys win a kid they share with the remote set: they were given by hand.
    const merged = new Map(remote.entries);
    for (const [kid, entry] of this.fixed) merged.set(kid, entry);
    this.byKid = merged;
    this.seenRemote = remote.version;
    return merged;
  }
}

/**
 * Imports and cross-checks the configured keys. Throws {@link ConfigError}; never echoes key material.
 * `remote`, when given, adds the keys of a remote JWK Set.
 */
export function importKeySet(keys: KeysOption, remote?: RemoteEntries): Maybe<KeyRing> {
  const imports: Maybe<KeyEntry>[] = [];
  if (keys.sign !== undefined) imports.push(importKey(keys.sign, 'sign', 'keys.sign'));
  (keys.verify ?? []).forEach((jwk, index) => {
    imports.push(importKey(jwk, 'verify', `keys.verify.${index}`));
  });
  // Node imports now; WebCrypto answers promises (and its refusals arrive with them).
  return andThen(allOf(imports), (entries) =>
    ringOf(keys.sign === undefined ? undefined : entries[0], entries, remote),
  );
}

function ringOf(
  signing: KeyEntry | undefined,
  entries: readonly KeyEntry[],
  remote: RemoteEntries | undefined,
) {
  if (entries.length === 0 && remote === undefined) {
    throw new ConfigError(
      'keys: configure a signing key (keys.sign), a verification key (keys.verify) or a remote set (keys.remote)',
      { reason: 'no_keys', claim: 'keys' },
    );
  }
  checkOneFamily(entries, 'keys');
  if (remote !== undefined && entries.some((e) => e.symmetric)) {
    // A remote set holds public keys only: an HMAC secret beside them mixes the families.
    throw new ConfigError('keys: HS256 secrets cannot be used beside a remote set', {
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
  return new KeyRing(signing, byKid, remote);
}

/**
 * Security: one HMAC secret beside public keys invites algorithm confusion (a public key used as an
 * HMAC secret); the families never mix in one instance.
 */
function checkOneFamily(entries: readonly KeyEntry[], path: string): void {
  if (entries.some((e) => e.symmetric) && entries.some((e) => !e.symmetric)) {
    throw new ConfigError(`${path}: HS256 secrets cannot be mixed with asymmetric keys`, {
      reason: 'mixed_key_families',
      claim: path,
    });
  }
}

/** Imports one key (a promise of it on WebCrypto). Throws (or rejects with) {@link ConfigError}. */
export function importKey(jwk: Jwk, role: 'sign' | 'verify', path: string): Maybe<KeyEntry> {
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
      names: acceptedNames(alg),
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
  return andThen(cryptoPlatform.importKey(jwk, platformAlgorithm(alg)), (imported) =>
    asymmetricEntry(jwk, alg, imported ?? fail('not a valid JWK', 'invalid_jwk'), fail),
  );
}

function asymmetricEntry(
  jwk: Jwk,
  alg: Exclude<Algorithm, 'HS256'>,
  imported: ImportedKey,
  fail: (message: string, reason: string) => never,
): KeyEntry {
  const signatureBytes = checkAsymmetricKey(alg, imported, fail);
  const exported = imported.publicJwk;
  // Security: node:crypto imports keys that let anyone forge a signature; refuse them here.
  const weakness = publicKeyWeakness(exported);
  if (weakness !== undefined) fail(`the key allows forgery: ${weakness}`, 'weak_key');
  const key = { imported };
  return {
    kid: jwk.kid,
    alg,
    names: acceptedNames(alg),
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
    case 'Ed25519':
      if (key.kind !== 'ed25519') fail(`${alg} needs an Ed25519 key`, 'key_type');
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
