/**
 * Every rejection in tessera is a {@link TesseraError} with a stable `code`. Match on `code` (or use
 * the subclass), never on `message`: messages are for humans and may change.
 *
 * Security: no error ever carries a raw token, a secret, a token hash or a full claim set. At most a
 * short reason, the claim name involved, a session id, and the subject of a token whose signature
 * (or MAC) verified.
 *
 * @packageDocumentation
 */

/** Stable error codes. See `docs/errors.md` for what each means and how an HTTP layer answers it. */
export type TesseraErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_SIGNATURE'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_CLAIMS'
  | 'ERR_TOKEN_SCOPE'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_REFRESH_INVALID'
  | 'ERR_REFRESH_EXPIRED'
  | 'ERR_REFRESH_REUSED'
  | 'ERR_SESSION_REVOKED'
  | 'ERR_DPOP_PROOF'
  | 'ERR_UNAVAILABLE';

/** Extra, non-secret context an error may carry. */
export interface TesseraErrorDetails {
  /** A short machine-readable reason, e.g. `alg_not_allowed`, `aud_mismatch`, `idle_timeout`. */
  readonly reason?: string | undefined;
  /** The claim or option involved, e.g. `exp`, `aud`, `keys.sign`. */
  readonly claim?: string | undefined;
  /** The session (token family) involved, when known. Session ids are not secrets. */
  readonly sessionId?: string | undefined;
  /**
   * The subject of an authentic token that was refused (expired, revoked, reused, out of scope):
   * known only once the signature or MAC verified, so never an attacker's word. For monitoring.
   */
  readonly sub?: string | undefined;
  /** The underlying error, only when it cannot contain token or secret material. */
  readonly cause?: unknown;
}

/** The one base class of every error tessera throws. */
export class TesseraError extends Error {
  /** The stable code; one per subclass. */
  readonly code: TesseraErrorCode;
  /** A short machine-readable reason (see {@link TesseraErrorDetails.reason}). */
  readonly reason: string | undefined;
  /** The claim or option involved, if any. */
  readonly claim: string | undefined;
  /** The session id involved, if any. */
  readonly sessionId: string | undefined;
  /** The subject of the authentic token refused, if known (see {@link TesseraErrorDetails.sub}). */
  readonly sub: string | undefined;

  constructor(code: TesseraErrorCode, message: string, details: TesseraErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.reason = details.reason;
    this.claim = details.claim;
    this.sessionId = details.sessionId;
    this.sub = details.sub;
  }
}

/** Invalid options, thrown once at construction (or for an unusable argument). */
export class ConfigError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_CONFIG', message, details);
  }
}

/** The token is not a well-formed compact JWT of our profile (size, structure, encoding, JSON, header). */
export class TokenMalformedError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_MALFORMED', message, details);
  }
}

/** The signature does not verify with the key the header names. */
export class TokenSignatureError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_SIGNATURE', message, details);
  }
}

/** The token's `exp` has passed (beyond the clock tolerance). */
export class TokenExpiredError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_EXPIRED', message, details);
  }
}

/** The token's `nbf` is still in the future (beyond the clock tolerance). */
export class TokenNotYetValidError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_NOT_YET_VALID', message, details);
  }
}

/** A claim is missing, ill-typed or does not match policy (iss, aud, typ, sub, iat, lifetime...). */
export class TokenClaimsError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_CLAIMS', message, details);
  }
}

/** The token is valid but lacks a required scope. */
export class TokenScopeError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_SCOPE', message, details);
  }
}

/** The token is valid but has been revoked (user epoch or session revocation). */
export class TokenRevokedError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_TOKEN_REVOKED', message, details);
  }
}

/** A refresh token is malformed, unknown or forged. */
export class RefreshInvalidError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_REFRESH_INVALID', message, details);
  }
}

/** A refresh token's session has passed its idle or absolute lifetime. */
export class RefreshExpiredError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_REFRESH_EXPIRED', message, details);
  }
}

/** A used refresh token was presented again: reuse detected, and the whole session is now revoked. */
export class RefreshReusedError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_REFRESH_REUSED', message, details);
  }
}

/** The session was revoked earlier (logout, reuse, user-wide revocation). */
export class SessionRevokedError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_SESSION_REVOKED', message, details);
  }
}

/**
 * A DPoP proof (RFC 9449) is missing, malformed, replayed, or does not bind the request or the
 * token; also a DPoP-bound token presented without its proof. `reason` says which; `use_dpop_nonce`
 * means the client must retry with the server's current nonce (the `DPoP-Nonce` header).
 */
export class DpopProofError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_DPOP_PROOF', message, details);
  }
}

/** A store or revocation source is unreachable. Retryable; maps to HTTP 503, never to 401. */
export class UnavailableError extends TesseraError {
  constructor(message: string, details?: TesseraErrorDetails) {
    super('ERR_UNAVAILABLE', message, details);
  }
}

/** True when `value` is a {@link TesseraError} (optionally with the given code). */
export function isTesseraError(value: unknown, code?: TesseraErrorCode): value is TesseraError {
  return value instanceof TesseraError && (code === undefined || value.code === code);
}
