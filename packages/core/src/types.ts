/**
 * Public types of `@tessera/core`.
 * @packageDocumentation
 */

import type { DpopVerifier } from './create-dpop-verifier.js';
import type { RemoteJwks } from './create-remote-jwks.js';

/** A JSON value, as custom claims may hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * A JSON Web Key (RFC 7517) as tessera takes and publishes it. Every key names its `kid` and the one
 * `alg` it may be used with.
 */
export interface Jwk {
  /** Key type: `OKP` (Ed25519), `EC` (P-256), `RSA`, or `oct` (an HMAC secret). */
  readonly kty: 'OKP' | 'EC' | 'RSA' | 'oct';
  /** Key id, in every token header it signs; verify picks the key by it. */
  readonly kid: string;
  /** The one algorithm this key may be used with. */
  readonly alg: 'EdDSA' | 'Ed25519' | 'ES256' | 'RS256' | 'PS256' | 'HS256';
  /** Public-key use; only `sig` is accepted. */
  readonly use?: 'sig';
  /** Permitted operations; when present it must include the role (`sign` or `verify`). */
  readonly key_ops?: readonly string[];
  /** Curve: `Ed25519` (OKP) or `P-256` (EC). */
  readonly crv?: string;
  /** Public point: x coordinate (EC), or the public key (OKP), base64url. */
  readonly x?: string;
  /** Public point: y coordinate (EC), base64url. */
  readonly y?: string;
  /** RSA modulus, base64url. */
  readonly n?: string;
  /** RSA public exponent, base64url. */
  readonly e?: string;
  /** Private members: present only in private keys. */
  readonly d?: string;
  /** RSA first prime factor (private). */
  readonly p?: string;
  /** RSA second prime factor (private). */
  readonly q?: string;
  /** RSA first factor CRT exponent (private). */
  readonly dp?: string;
  /** RSA second factor CRT exponent (private). */
  readonly dq?: string;
  /** RSA first CRT coefficient (private). */
  readonly qi?: string;
  /** The HMAC secret of an `oct` key. */
  readonly k?: string;
}

/** A JWK Set (RFC 7517 section 5) of public keys. */
export interface JwkSet {
  /** The keys, each with `kid`, `alg` and `use`. */
  readonly keys: readonly Jwk[];
}

/** The keys of an instance. */
export interface KeysOption {
  /** The private key (or HMAC secret) that signs new tokens. Its public part also verifies. */
  readonly sign?: Jwk;
  /**
   * Further keys that verify but never sign: the previous signing key during a rotation, or the
   * issuer's public keys on a resource server. Public keys only (HMAC secrets excepted).
   */
  readonly verify?: readonly Jwk[];
  /**
   * The issuer's keys from a remote JWK Set ({@link createRemoteJwks}), for a resource server. They
   * verify beside `verify` (a configured key wins a `kid` both hold) and are never published by
   * `jwks()`.
   */
  readonly remote?: RemoteJwks;
}

/**
 * What verify accepts of tokens beyond tessera's own strict profile: for resource servers that verify
 * other issuers' RFC 9068 (or older RFC 7519) access tokens. The defaults are the strict profile.
 */
export interface VerifyProfile {
  /**
   * The `typ` header values accepted (compared case-insensitively). Default `['at+jwt',
   * 'application/at+jwt']` (RFC 9068 section 4). Keycloak, Entra ID and Auth0 without its RFC 9068
   * profile send `JWT`: add it only for such an issuer, and keep `audience` exact, since `typ` is what
   * tells an access token from an ID token.
   */
  readonly typ?: readonly string[];
  /** Require `client_id` (RFC 9068 section 2.2). Default true; Entra ID and Auth0 send `azp` instead. */
  readonly requireClientId?: boolean;
  /** Require `jti`. Default true; Entra ID and Auth0 do not send it. */
  readonly requireJti?: boolean;
  /**
   * `integer` (default): NumericDates must be safe integers. `fractional`: finite fractions are also
   * accepted, as RFC 7519 section 2 allows (never Infinity, NaN or values beyond 2^53).
   */
  readonly numericDates?: 'integer' | 'fractional';
  /** The longest `exp - iat` accepted, in seconds (default `ttl`, at most 86,400; Entra ID issues up to 90 minutes). */
  readonly maxLifetime?: number;
}

/** The claims of a verified (or issued) access token, RFC 9068 profile. */
export interface AccessTokenClaims {
  /** Issuer: who signed the token (exactly the configured `issuer`). */
  readonly iss: string;
  /** Subject: the user (or client) the token speaks for. */
  readonly sub: string;
  /** Audience: the resource server(s) the token is for. */
  readonly aud: string | readonly string[];
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Unique token id. */
  readonly jti: string;
  /** Not before, seconds since the epoch (tessera never issues it, but verifies it when present). */
  readonly nbf?: number;
  /** Session (token family) id. */
  readonly sid?: string;
  /** Space-separated scopes (RFC 6749 section 3.3). */
  readonly scope?: string;
  /** The OAuth client the token was issued to (RFC 9068 section 2.2). */
  readonly client_id?: string;
  /** When the user last authenticated, seconds since the epoch. */
  readonly auth_time?: number;
  /** The revocation stamp: the user's epoch when the token was issued (see `@tessera/denylist`). */
  readonly epoch?: number;
  /** Confirmation (RFC 9449 section 6): the thumbprint of the DPoP key the token is bound to. */
  readonly cnf?: {
    /** The RFC 7638 SHA-256 thumbprint of the client's DPoP key. */
    readonly jkt: string;
  };
  readonly [claim: string]: unknown;
}

/**
 * A revocation check that `verify` runs on every call, after the signature and claim checks (and
 * also on a verified-token cache hit). It throws (or rejects with) a `TesseraError`, typically
 * `ERR_TOKEN_REVOKED` or `ERR_UNAVAILABLE`; any other exception is treated as `ERR_UNAVAILABLE`.
 * `@tessera/denylist` implements it.
 */
export interface RevocationCheck {
  /** Throws (or rejects) for a revoked token; returns (or resolves) for a live one. */
  check(claims: AccessTokenClaims): void | PromiseLike<void>;
  /**
   * The longest time after its `iat`, in seconds, that the check can judge a token (a denylist keeps
   * each revocation only that long). `createAccessTokens` refuses (`ERR_CONFIG`, reason
   * `revocation_horizon`) a check whose horizon is shorter than its own `ttl + clockTolerance`:
   * a revoked token would otherwise be accepted again once its revocation is dropped.
   */
  readonly horizon?: number;
}

/** Options of {@link createAccessTokens}; validated once, at construction. */
export interface AccessTokensOptions {
  /** Our issuer (`iss`); verify requires an exact match. */
  readonly issuer: string;
  /** The audience(s) of issued tokens; verify requires the token's `aud` to name at least one of them. */
  readonly audience: string | readonly string[];
  /** The signing key and any verification-only keys (key rotation: see `KeysOption`). */
  readonly keys: KeysOption;
  /**
   * Lifetime of issued tokens in seconds, and the longest `exp - iat` verify accepts (unless
   * `profile.maxLifetime` says otherwise). Default 900, at most 3600.
   */
  readonly ttl?: number;
  /**
   * The `client_id` of issued tokens whose `issue()` input names none (RFC 9068 section 2.2 requires
   * one in every access token). Default `first-party`.
   */
  readonly clientId?: string;
  /** What verify accepts beyond the strict profile (other issuers' tokens). */
  readonly profile?: VerifyProfile;
  /** Clock tolerance for exp, nbf, iat and auth_time, in seconds. Default 5, at most 60. */
  readonly clockTolerance?: number;
  /** Largest token accepted, in bytes. Default 8192. */
  readonly maxTokenBytes?: number;
  /**
   * Opt-in verified-token cache for repeated tokens: `true` for 10,000 entries or `{ maxEntries }`.
   * Keyed by the whole token, never outlives `exp`, never caches failures, never skips `revocation`.
   */
  readonly cache?:
    | boolean
    | {
        /** Largest number of verified tokens kept (default 10,000). */
        readonly maxEntries?: number;
      };
  /** Runs on every verify after the signature and claim checks. */
  readonly revocation?: RevocationCheck;
  /** Verifies DPoP proofs for bound tokens ({@link createDpopVerifier}); see `VerifyOptions.dpop`. */
  readonly dpop?: DpopVerifier;
  /** Current time in milliseconds. Default `Date.now`. Inject one in tests. */
  readonly clock?: () => number;
}

/** What {@link AccessTokens.issue} takes. */
export interface IssueInput {
  /** The subject (user id). */
  readonly sub: string;
  /** The session (token family) id. */
  readonly sid?: string;
  /** Scopes: a space-separated string or a list of scope tokens. */
  readonly scope?: string | readonly string[];
  /** The OAuth client the token was issued to (`client_id`). Default: the `clientId` option. */
  readonly clientId?: string;
  /** When the user authenticated, seconds since the epoch (`auth_time`). */
  readonly authTime?: number;
  /** The user's revocation epoch (`epoch` claim), from `@tessera/denylist`. */
  readonly epoch?: number;
  /**
   * Binds the token to a DPoP key (RFC 9449): the `jkt` of a verified proof (`cnf.jkt`). A bound
   * token verifies only with a proof by that key.
   */
  readonly jkt?: string;
  /** Custom claims; they may not override registered ones. */
  readonly claims?: { readonly [claim: string]: JsonValue };
  /** Lifetime in seconds, at most the configured `ttl`. */
  readonly ttl?: number;
}

/** What {@link AccessTokens.issue} returns. */
export interface IssuedAccessToken {
  /** The compact JWT. Treat as a secret: never log it. */
  readonly token: string;
  /** The claims as signed (frozen). */
  readonly claims: AccessTokenClaims;
  /** Expiry in seconds since the epoch (equal to `claims.exp`). */
  readonly expiresAt: number;
  /** Lifetime in seconds, for an OAuth `expires_in`. */
  readonly expiresIn: number;
}

/** Per-call options of {@link AccessTokens.verify}. */
export interface VerifyOptions {
  /** Scopes the token must all carry, else `ERR_TOKEN_SCOPE`. */
  readonly scope?: string | readonly string[];
  /** Longest time since `auth_time`, in seconds, else `ERR_TOKEN_CLAIMS` (reason `auth_too_old`). */
  readonly maxAuthAge?: number;
  /** Overrides the configured audience for this call. */
  readonly audience?: string | readonly string[];
  /**
   * The request's DPoP proof (the `DPoP` header with `Authorization: DPoP`), its method and absolute
   * URL, and whether a server nonce is required. Checked first (`ERR_DPOP_PROOF`); then a bound
   * token must be bound to the proof's key. Without it, a bound token is refused (`proof_required`).
   */
  readonly dpop?: {
    /** The `DPoP` header's value. */
    readonly proof: string;
    /** The request's HTTP method. */
    readonly method: string;
    /** The request's absolute URL. */
    readonly url: string;
    /** Require a current server nonce in the proof (the DPoP verifier's `nonces`). */
    readonly requireNonce?: boolean;
  };
}

/** The access-token service returned by {@link createAccessTokens}. */
export interface AccessTokens {
  /**
   * Issues a signed access token, synchronously (Node). Throws `ERR_CONFIG` without a signing key
   * (reason `no_signing_key`) or where signing is asynchronous (WebCrypto runtimes, reason
   * `async_platform`: use {@link AccessTokens.issueAsync}), `ERR_TOKEN_CLAIMS` on bad input.
   */
  issue(input: IssueInput): IssuedAccessToken;
  /** Issues a signed access token on every platform (WebCrypto included); rejects as `issue` throws. */
  issueAsync(input: IssueInput): Promise<IssuedAccessToken>;
  /**
   * Resolves once the keys are imported, or rejects with the `ERR_CONFIG` that refused one. On Node
   * that is done by `createAccessTokens` itself (which throws); WebCrypto imports asynchronously, and
   * `verify` and `issueAsync` wait for it. Call it at start-up to fail fast, and before `jwks()`.
   */
  ready(): Promise<void>;
  /** Verifies a token strictly; resolves to its claims (frozen) or rejects with a `TesseraError`. */
  verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims>;
  /**
   * The public keys (never HMAC secrets, never private members) as a JWK Set. Throws `ERR_CONFIG`
   * (reason `not_ready`) on WebCrypto before {@link AccessTokens.ready} resolved.
   */
  jwks(): JwkSet;
}
