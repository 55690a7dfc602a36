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

/**
 * An RFC 9449 section 7.1 challenge: `DPoP` with `algs`, and `error` when there is a problem
 * (`invalid_dpop_proof`, `use_dpop_nonce`, `invalid_token`, `insufficient_scope`). A
 * `use_dpop_nonce` answer carries the server's nonce in `DPoP-Nonce`.
 */
export function dpopChallenge(
  status: 401 | 403,
  realm: string,
  algs: string,
  problem: { error: string; description: string; scope?: string },
  nonce?: string,
): Response {
  let header = `DPoP realm=${quote(realm)}, error=${quote(problem.error)}, error_description=${quote(problem.description)}`;
  if (problem.scope !== undefined) header += `, scope=${quote(problem.scope)}`;
  header += `, algs=${quote(algs)}`;
  return json(
    status,
    { error: problem.error, error_description: problem.description },
    { 'www-authenticate': header, ...(nonce === undefined ? {} : { 'dpop-nonce': nonce }) },
  );
}

/** DPoP refusals that are the token's binding at fault (answered `invalid_token`), not the proof. */
const TOKEN_BINDING_REASONS = new Set(['proof_required', 'token_not_bound', 'key_mismatch']);

/**
 * The answer to an error of a DPoP request, or of a DPoP-bound token presented as a bearer token:
 * the same categories as {@link accessErrorResponse}, under the `DPoP` scheme; a proof problem is
 * `invalid_dpop_proof`, a missing or stale nonce `use_dpop_nonce` with the current one.
 */
export async function dpopErrorResponse(
  error: unknown,
  realm: string,
  retryAfter: number,
  scope: string | undefined,
  dpop: { readonly algs: string; readonly nonces?: { current(): Promise<string> } | undefined },
): Promise<Response> {
  if (!isTesseraError(error) || error.code === 'ERR_UNAVAILABLE') return unavailable(retryAfter);
  if (error.code === 'ERR_TOKEN_SCOPE') {
    return dpopChallenge(403, realm, dpop.algs, {
      error: 'insufficient_scope',
      description: 'the access token lacks a required scope',
      ...(scope === undefined ? {} : { scope }),
    });
  }
  if (error.code === 'ERR_DPOP_PROOF') {
    if (error.reason === 'use_dpop_nonce' && dpop.nonces !== undefined) {
      return dpopChallenge(
        401,
        realm,
        dpop.algs,
        { error: 'use_dpop_nonce', description: 'the resource server requires a DPoP nonce' },
        await dpop.nonces.current(),
      );
    }
    // The binding (the token's key against the proof's) is the token's problem; the rest, the proof's.
    if (!TOKEN_BINDING_REASONS.has(error.reason ?? '')) {
      return dpopChallenge(401, realm, dpop.algs, {
        error: 'invalid_dpop_proof',
        description: 'the DPoP proof is invalid',
      });
    }
  }
  const description =
    error.code === 'ERR_TOKEN_EXPIRED'
      ? 'the access token expired'
      : error.reason === 'proof_required'
        ? 'the access token is DPoP-bound: present it with a DPoP proof'
        : 'the access token is invalid';
  return dpopChallenge(401, realm, dpop.algs, { error: 'invalid_token', description });
}
