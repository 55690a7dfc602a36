import { isTesseraError, type TesseraError } from '@tessera/core';

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

/** DPoP refusals that are the token's binding at fault (answered `invalid_token`), not the proof. */
const TOKEN_BINDING_REASONS = new Set(['proof_required', 'token_not_bound', 'key_mismatch']);

/**
 * What a token error tells the client, under either scheme. Security: the body names a category,
 * never the token, and does not tell revoked from forged (both "invalid"); only expiry is told apart,
 * because it tells a well-behaved client to refresh, and a DPoP-bound token sent without its proof,
 * because it tells the client how to present it.
 */
function tokenProblem(
  error: TesseraError,
  scope: string | undefined,
): { status: 401 | 403; error: string; description: string; scope?: string } {
  if (error.code === 'ERR_TOKEN_SCOPE') {
    return {
      status: 403,
      error: 'insufficient_scope',
      description: 'the access token lacks a required scope',
      ...(scope === undefined ? {} : { scope }),
    };
  }
  // The binding (the token's key against the proof's) is the token's problem; the rest, the proof's.
  if (error.code === 'ERR_DPOP_PROOF' && !TOKEN_BINDING_REASONS.has(error.reason ?? '')) {
    return { status: 401, error: 'invalid_dpop_proof', description: 'the DPoP proof is invalid' };
  }
  const description =
    error.code === 'ERR_TOKEN_EXPIRED'
      ? 'the access token expired'
      : error.reason === 'proof_required'
        ? 'the access token is DPoP-bound: present it with a DPoP proof'
        : 'the access token is invalid';
  return { status: 401, error: 'invalid_token', description };
}

/** The answer to an access-token error under the Bearer scheme (RFC 6750), or a 503. */
export function accessErrorResponse(
  error: unknown,
  realm: string,
  retryAfter: number,
  scope: string | undefined,
): Response {
  if (!isTesseraError(error) || error.code === 'ERR_UNAVAILABLE') return unavailable(retryAfter);
  const problem = tokenProblem(error, scope);
  return challenge(problem.status, realm, problem);
}

/**
 * The token endpoint's answer to a bad DPoP proof (RFC 9449 section 5): 400 `invalid_dpop_proof`, or
 * `use_dpop_nonce` with the current nonce in `DPoP-Nonce` (section 8). Undefined for any other error.
 */
export async function tokenEndpointProofResponse(
  error: unknown,
  nonces: { current(): Promise<string> } | undefined,
): Promise<Response | undefined> {
  if (!isTesseraError(error) || error.code !== 'ERR_DPOP_PROOF') return undefined;
  // A genuine refresh token without its key is the grant's problem (answered as such by the caller).
  if (TOKEN_BINDING_REASONS.has(error.reason ?? '')) return undefined;
  if (error.reason === 'use_dpop_nonce' && nonces !== undefined) {
    return json(
      400,
      { error: 'use_dpop_nonce', error_description: 'the authorization server requires a DPoP nonce' },
      { 'dpop-nonce': await nonces.current() },
    );
  }
  return json(400, { error: 'invalid_dpop_proof', error_description: 'the DPoP proof is invalid' });
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

/**
 * The answer to an error of a DPoP request, or of a DPoP-bound token presented as a bearer token:
 * the categories of {@link accessErrorResponse} under the `DPoP` scheme, and a missing or stale
 * nonce as `use_dpop_nonce` with the current one.
 */
export async function dpopErrorResponse(
  error: unknown,
  realm: string,
  retryAfter: number,
  scope: string | undefined,
  dpop: { readonly algs: string; readonly nonces?: { current(): Promise<string> } | undefined },
): Promise<Response> {
  if (!isTesseraError(error) || error.code === 'ERR_UNAVAILABLE') return unavailable(retryAfter);
  if (error.code === 'ERR_DPOP_PROOF' && error.reason === 'use_dpop_nonce' && dpop.nonces !== undefined) {
    return dpopChallenge(
      401,
      realm,
      dpop.algs,
      { error: 'use_dpop_nonce', description: 'the resource server requires a DPoP nonce' },
      await dpop.nonces.current(),
    );
  }
  const problem = tokenProblem(error, scope);
  return dpopChallenge(problem.status, realm, dpop.algs, problem);
}
