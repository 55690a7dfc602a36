import { isTesseraError } from '@tessera/core';

/** Token responses and errors about tokens are never stored by a cache (RFC 6749 section 5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  });
}

const quote = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

/**
 * An RFC 6750 challenge. Without `error` it is the bare challenge for a request that sent no token
 * (section 3.1: no error code then).
 */
export function challenge(
  status: 400 | 401 | 403,
  realm: string,
  problem?: { error: string; description: string; scope?: string },
): Response {
  let header = `Bearer realm=${quote(realm)}`;
  if (problem !== undefined) {
    header += `, error=${quote(problem.error)}, error_description=${quote(problem.description)}`;
    if (problem.scope !== undefined) header += `, scope=${quote(problem.scope)}`;
  }
  const body =
    problem === undefined
      ? { error: 'unauthorized', error_description: 'authentication required' }
      : { error: problem.error, error_description: problem.description };
  return json(status, body, { 'www-authenticate': header });
}

export function unavailable(retryAfter: number): Response {
  return json(
    503,
    { error: 'temporarily_unavailable', error_description: 'try again shortly' },
    { 'retry-after': String(retryAfter) },
  );
}

/**
 * The answer to an access-token error. Security: the body names a category, never the token, and
 * does not tell revoked from forged (both "invalid"); only expiry is told apart, because it tells a
 * well-behaved client to refresh.
 */
export function accessErrorResponse(
  error: unknown,
  realm: string,
  retryAfter: number,
  scope: string | undefined,
): Response {
  if (!isTesseraError(error) || error.code === 'ERR_UNAVAILABLE') return unavailable(retryAfter);
  if (error.code === 'ERR_TOKEN_SCOPE') {
    return challenge(403, realm, {
      error: 'insufficient_scope',
      description: 'the access token lacks a required scope',
      ...(scope === undefined ? {} : { scope }),
    });
  }
  const description =
    error.code === 'ERR_TOKEN_EXPIRED' ? 'the access token expired' : 'the access token is invalid';
  return challenge(401, realm, { error: 'invalid_token', description });
}
