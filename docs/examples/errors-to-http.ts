import assert from 'node:assert/strict';
import { isTesseraError, type TesseraErrorCode, TokenExpiredError, UnavailableError } from '@tessera/core';

/** What an HTTP layer answers for each verification failure (RFC 6750 for bearer tokens). */
export function httpStatusFor(error: unknown): { status: number; headers: Record<string, string> } {
  if (!isTesseraError(error)) return { status: 500, headers: {} };
  const invalidToken = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };
  const byCode: Partial<Record<TesseraErrorCode, { status: number; headers: Record<string, string> }>> = {
    ERR_TOKEN_MALFORMED: { status: 401, headers: invalidToken },
    ERR_TOKEN_SIGNATURE: { status: 401, headers: invalidToken },
    ERR_TOKEN_EXPIRED: { status: 401, headers: invalidToken },
    ERR_TOKEN_NOT_YET_VALID: { status: 401, headers: invalidToken },
    ERR_TOKEN_CLAIMS: { status: 401, headers: invalidToken },
    ERR_TOKEN_REVOKED: { status: 401, headers: invalidToken },
    ERR_TOKEN_SCOPE: { status: 403, headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } },
    // Retryable: never a 401, or clients would throw away good tokens during an outage.
    ERR_UNAVAILABLE: { status: 503, headers: { 'Retry-After': '1' } },
  };
  return byCode[error.code] ?? { status: 500, headers: {} };
}

assert.equal(httpStatusFor(new TokenExpiredError('expired')).status, 401);
assert.equal(httpStatusFor(new UnavailableError('redis down')).status, 503);
assert.equal(httpStatusFor(new Error('bug')).status, 500);
