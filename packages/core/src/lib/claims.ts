import { TokenClaimsError, TokenExpiredError, TokenNotYetValidError, TokenScopeError } from '../errors.js';
import type { AccessTokenClaims } from '../types.js';

/** The policy the token-intrinsic checks enforce. */
export interface ClaimsPolicy {
  readonly issuer: string;
  /** Longest `exp - iat`, seconds. */
  readonly ttl: number;
  /** Seconds. */
  readonly clockTolerance: number;
  /** RFC 9068 section 2.2: `client_id` is required (default); other issuers' profiles may waive it. */
  readonly requireClientId: boolean;
  /** `jti` is required (default); other issuers' profiles may waive it. */
  readonly requireJti: boolean;
  /**
   * RFC 7519 section 2 lets a NumericDate be fractional; tessera issues integers and by default
   * accepts only those. A profile for another issuer may admit finite fractions (never Infinity,
   * NaN or values past the safe-integer range).
   */
  readonly fractionalDates: boolean;
}

const fail = (claim: string, message: string, reason = claim): never => {
  throw new TokenClaimsError(message, { reason, claim });
};

/** A NumericDate under the policy: a safe integer, or a finite number in the same range. */
function isNumericDate(value: unknown, fractional: boolean): value is number {
  if (!fractional) return Number.isSafeInteger(value);
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER;
}

/**
 * Checks everything about a claim set that does not depend on the call: types, issuer, lifetime and
 * time. The result can be cached until `exp`. Audience, scope and auth age are checked per call.
 *
 * Security: NumericDates must be safe integers (or, where a profile admits fractions, finite); `1e400`
 * parses to Infinity and would never expire.
 */
export function checkTokenClaims(claims: Record<string, unknown>, policy: ClaimsPolicy, nowMs: number): void {
  const { iss, sub, exp, iat, jti, nbf } = claims;
  const fractional = policy.fractionalDates;
  const word = fractional ? 'numeric' : 'integer';
  if (iss !== policy.issuer) fail('iss', 'the token was not issued by us');
  if (typeof sub !== 'string' || sub.length === 0) fail('sub', 'the token has no subject');
  if (jti !== undefined || policy.requireJti) {
    if (typeof jti !== 'string' || jti.length === 0) fail('jti', 'the token has no "jti"');
  }
  if (!isNumericDate(iat, fractional)) fail('iat', `the token has no ${word} "iat"`);
  if (!isNumericDate(exp, fractional)) fail('exp', `the token has no ${word} "exp"`);
  const issuedAt = iat as number;
  const expiresAt = exp as number;
  const lifetime = expiresAt - issuedAt;
  if (lifetime <= 0 || lifetime > policy.ttl) {
    fail('exp', `the token's lifetime is outside policy (at most ${policy.ttl} s)`, 'lifetime');
  }
  checkOptionalString(claims, 'sid');
  checkOptionalString(claims, 'client_id');
  checkOptionalString(claims, 'scope');
  if (policy.requireClientId && (claims['client_id'] === undefined || claims['client_id'] === '')) {
    fail('client_id', 'the token has no "client_id" (RFC 9068 section 2.2)', 'client_id_missing');
  }
  const toleranceMs = policy.clockTolerance * 1000;
  const authTime = claims['auth_time'];
  if (
    authTime !== undefined &&
    (!isNumericDate(authTime, fractional) || authTime * 1000 > nowMs + toleranceMs)
  ) {
    fail('auth_time', 'the token has an invalid "auth_time"');
  }
  const cnf = claims['cnf'];
  if (cnf !== undefined) {
    // A confirmation that names no key we can check would bind nothing: refuse it.
    const jkt =
      typeof cnf === 'object' && cnf !== null && !Array.isArray(cnf)
        ? (cnf as { jkt?: unknown }).jkt
        : undefined;
    if (typeof jkt !== 'string' || jkt.length === 0) fail('cnf', 'the token has an invalid "cnf" (no "jkt")');
  }
  const epoch = claims['epoch'];
  if (epoch !== undefined && !(Number.isSafeInteger(epoch) && (epoch as number) >= 0)) {
    fail('epoch', 'the token has an invalid "epoch"');
  }
  if (issuedAt * 1000 > nowMs + toleranceMs) fail('iat', 'the token was issued in the future', 'iat_future');
  if (nbf !== undefined) {
    if (!isNumericDate(nbf, fractional)) fail('nbf', `the token has a non-${word} "nbf"`);
    if ((nbf as number) * 1000 > nowMs + toleranceMs) {
      throw new TokenNotYetValidError('the token is not valid yet', { reason: 'nbf', claim: 'nbf' });
    }
  }
  if (nowMs >= expiresAt * 1000 + toleranceMs) {
    throw new TokenExpiredError('the token has expired', { reason: 'exp', claim: 'exp' });
  }
}

function checkOptionalString(claims: Record<string, unknown>, name: string): void {
  const value = claims[name];
  if (value !== undefined && typeof value !== 'string') fail(name, `the token's "${name}" is not a string`);
}

/** True when the token's `aud` (a string or an array of strings) names one of `audiences`. */
export function audienceMatches(aud: unknown, audiences: readonly string[]): boolean {
  if (typeof aud === 'string') return audiences.includes(aud);
  if (!Array.isArray(aud) || aud.length === 0) return false;
  let match = false;
  for (const item of aud) {
    if (typeof item !== 'string') return false;
    if (audiences.includes(item)) match = true;
  }
  return match;
}

export function checkAudience(claims: AccessTokenClaims, audiences: readonly string[]): void {
  if (!audienceMatches(claims.aud, audiences)) fail('aud', 'the token is not meant for this audience');
}

/** Throws {@link TokenScopeError} unless the token carries every required scope. */
export function checkScope(claims: AccessTokenClaims, required: string | readonly string[]): void {
  const needed = typeof required === 'string' ? required.split(' ') : required;
  if (needed.length === 0) return;
  const granted = claims.scope === undefined ? [] : claims.scope.split(' ');
  for (const scope of needed) {
    if (scope.length > 0 && !granted.includes(scope)) {
      throw new TokenScopeError('the token lacks a required scope', {
        reason: 'insufficient_scope',
        claim: 'scope',
      });
    }
  }
}

/** Throws unless the user authenticated at most `maxAge` seconds ago. */
export function checkAuthAge(
  claims: AccessTokenClaims,
  maxAge: number,
  nowMs: number,
  toleranceMs: number,
): void {
  const authTime = claims.auth_time;
  if (authTime === undefined) fail('auth_time', 'the token has no "auth_time"', 'auth_time_missing');
  if (nowMs - (authTime as number) * 1000 > maxAge * 1000 + toleranceMs) {
    fail('auth_time', 'the authentication is too old for this operation', 'auth_too_old');
  }
}
