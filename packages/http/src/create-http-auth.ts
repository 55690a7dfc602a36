import { isTesseraError } from '@tessera/core';
import type { SessionMeta } from '@tessera/refresh';
import type { DpopPresentation, SessionTokens } from '@tessera/sessions';
import { credentialInUrl, extractBearer } from './lib/bearer.js';
import { cookieValues, refreshCookie } from './lib/cookies.js';
import { isCrossSite } from './lib/csrf.js';
import { MAX_BODY_BYTES, MAX_FORM_BYTES } from './lib/limits.js';
import { type ResolvedDpop, resolveHttpOptions } from './lib/options.js';
import {
  accessErrorResponse,
  challenge,
  dpopErrorResponse,
  json,
  NO_STORE,
  tokenEndpointProofResponse,
  unavailable,
} from './lib/responses.js';
import { type RouteName, routesAt, routeTable } from './lib/route-table.js';
import type {
  AuthResult,
  HttpAuth,
  HttpAuthOptions,
  HttpAuthRoutes,
  RequestContext,
  RequestLike,
} from './types.js';

/** Largest request body the refresh and logout endpoints read. */

type RefreshCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'invalid'; readonly description: string };

/**
 * Creates the HTTP layer of a session service, on the Fetch API (`Request` / `Response`). Use it as
 * is (Hono, Bun, Deno, workers) or through `@tessera/http/express` and `@tessera/http/fastify`.
 *
 * @example
 * ```ts
 * const http = createHttpAuth({ sessions, jwks: access.jwks, refreshToken: { in: 'cookie' } });
 * const auth = await http.authenticate(request, { scope: 'orders:read' });
 * if (!auth.ok) return auth.response;
 * ```
 */
export function createHttpAuth(options: HttpAuthOptions): HttpAuth {
  const config = resolveHttpOptions(options);
  const { sessions, jwks } = options;
  const { realm, retryAfter, transport, cookieName, secureCookie, trustedOrigins, tokenCookies, basePath } =
    config;
  const dpopConfig = config.dpop;
  const dpopExtraction = { dpop: dpopConfig !== undefined };
  const routes: HttpAuthRoutes = Object.freeze({
    base: basePath,
    refresh: `${basePath}/token/refresh`,
    logout: `${basePath}/token/logout`,
    logoutEverywhere: `${basePath}/logout-everywhere`,
    sessions: `${basePath}/sessions`,
    jwks: '/.well-known/jwks.json',
    cookiePath: `${basePath}/token`,
  });
  const clearCookie = refreshCookie(cookieName, '', routes.cookiePath, 0, secureCookie);
  const table = routeTable(routes);

  function authenticate(
    request: RequestLike,
    authOptions: { scope?: string | readonly string[] } = {},
    context?: RequestContext,
  ): Promise<AuthResult> {
    // RFC 6750 section 2.2's form-body method is refused, alone or beside a header: one credential,
    // one method. Only form-encoded requests pay for the check (a GET reads no header for it).
    const method = request.method;
    if (method !== 'GET' && method !== 'HEAD') {
      const contentType = request.headers.get('content-type');
      if (contentType !== null && FORM.test(contentType))
        return authenticateForm(request, authOptions, context);
    }
    return authenticateHeader(request, authOptions, context);
  }

  async function authenticateForm(
    request: RequestLike,
    authOptions: { scope?: string | readonly string[] },
    context: RequestContext | undefined,
  ): Promise<AuthResult> {
    const inBody = await formCredential(request);
    if (inBody !== undefined) {
      return {
        ok: false,
        response: challenge(400, realm, { error: 'invalid_request', description: inBody }),
      };
    }
    return authenticateHeader(request, authOptions, context);
  }

  function authenticateHeader(
    request: RequestLike,
    authOptions: { scope?: string | readonly string[] },
    context: RequestContext | undefined,
  ): Promise<AuthResult> {
    const credential = extractBearer(request, tokenCookies, dpopExtraction);
    if (credential.kind === 'none') return Promise.resolve({ ok: false, response: challenge(401, realm) });
    if (credential.kind === 'invalid') {
      return Promise.resolve({
        ok: false,
        response: challenge(400, realm, { error: 'invalid_request', description: credential.description }),
      });
    }
    const scope = authOptions.scope;
    // Read only if a rejection is reported: the accepted path builds no metadata.
    const client = new PresentingClient(request, context);
    // A DPoP deployment (the only one where extraction yields a proof) answers with DPoP challenges.
    if (dpopConfig !== undefined) return authenticateDpop(dpopConfig, credential, request, scope, client);
    // One promise chain, no extra async frame: this runs on every request.
    return sessions.verify(credential.token, scope === undefined ? { client } : { scope, client }).then(
      (claims): AuthResult => ({ ok: true, claims }),
      (error: unknown): AuthResult => {
        const needed = typeof scope === 'string' ? scope : scope?.join(' ');
        return { ok: false, response: accessErrorResponse(error, realm, retryAfter, needed) };
      },
    );
  }

  /**
   * A request on a DPoP-enabled deployment: with the DPoP scheme, the proof is checked for this
   * request (method, public URL, token) before the token; with Bearer, a DPoP-bound token is refused
   * by core (`proof_required`) and answered with the DPoP challenge.
   */
  async function authenticateDpop(
    config: ResolvedDpop,
    { token, proof }: { token: string; proof?: string | undefined },
    request: RequestLike,
    scope: string | readonly string[] | undefined,
    client: PresentingClient,
  ): Promise<AuthResult> {
    const dpop =
      proof === undefined
        ? undefined
        : {
            proof,
            method: request.method,
            url: `${config.origin}${pathOf(request.url)}`,
            ...(config.requireNonce ? { requireNonce: true } : {}),
          };
    try {
      const claims = await sessions.verify(token, {
        client,
        ...(scope === undefined ? {} : { scope }),
        ...(dpop === undefined ? {} : { dpop }),
      });
      return { ok: true, claims };
    } catch (error) {
      const needed = typeof scope === 'string' ? scope : scope?.join(' ');
      const dpopError = proof !== undefined || (isTesseraError(error) && error.code === 'ERR_DPOP_PROOF');
      return {
        ok: false,
        response: dpopError
          ? await dpopErrorResponse(error, realm, retryAfter, needed, config)
          : accessErrorResponse(error, realm, retryAfter, needed),
      };
    }
  }

  function metaOf(request: RequestLike, context: RequestContext = {}): SessionMeta {
    const userAgent = request.headers.get('user-agent');
    return {
      ...(userAgent === null ? {} : { userAgent }),
      ...(context.ip === undefined ? {} : { ip: context.ip }),
    };
  }

  function tokenResponse(tokens: SessionTokens, init: { status?: number } = {}): Response {
    const { accessToken } = tokens;
    const body = {
      access_token: accessToken.token,
      // RFC 9449 section 5: a DPoP-bound access token is of type DPoP.
      token_type: accessToken.claims.cnf?.jkt === undefined ? 'Bearer' : 'DPoP',
      expires_in: accessToken.expiresIn,
      ...(accessToken.claims.scope === undefined ? {} : { scope: accessToken.claims.scope }),
      session_id: tokens.session.sessionId,
      ...(transport === 'body' ? { refresh_token: tokens.refreshToken } : {}),
    };
    const response = json(init.status ?? 200, body);
    if (transport === 'cookie') {
      // The cookie lives as long as the session can (idle or absolute expiry, whichever is first).
      const maxAge = (tokens.session.expiresAt.getTime() - accessToken.claims.iat * 1000) / 1000;
      response.headers.append(
        'set-cookie',
        refreshCookie(cookieName, tokens.refreshToken, routes.cookiePath, maxAge, secureCookie),
      );
    }
    return response;
  }

  function withClearedCookie(response: Response): Response {
    if (transport === 'cookie') response.headers.append('set-cookie', clearCookie);
    return response;
  }

  function errorResponse(error: unknown): Response {
    return accessErrorResponse(error, realm, retryAfter, undefined);
  }

  function dpopOf(request: RequestLike): DpopPresentation | undefined {
    if (dpopConfig === undefined) return undefined;
    const proof = request.headers.get('dpop');
    if (proof === null) return undefined;
    return {
      proof,
      method: request.method,
      url: `${dpopConfig.origin}${pathOf(request.url)}`,
      ...(dpopConfig.tokenEndpointNonce ? { requireNonce: true } : {}),
    };
  }

  async function tokenErrorResponse(error: unknown): Promise<Response> {
    return (await tokenEndpointProofResponse(error, dpopConfig?.nonces)) ?? errorResponse(error);
  }

  /** The refresh token of a request, from the one configured mechanism and nowhere else. */
  async function readRefreshToken(request: Request): Promise<RefreshCredential> {
    if (credentialInUrl(request.url))
      return { kind: 'invalid', description: 'credentials are not accepted in the URL' };
    const cookieHeader = request.headers.get('cookie');
    const fromCookie = cookieHeader === null ? [] : cookieValues(cookieHeader, cookieName);
    const body = await readJsonObject(request);
    if (body === undefined)
      return { kind: 'invalid', description: 'the body must be a JSON object of at most 4 KiB' };
    const fromBody = body.refresh_token;
    // One credential per request, whatever the transport: an Authorization header beside a refresh
    // token (cookie or body) is refused, never resolved by picking one.
    if (request.headers.get('authorization') !== null && (fromCookie.length > 0 || fromBody !== undefined)) {
      return { kind: 'invalid', description: 'send one credential per request' };
    }
    if (transport === 'cookie') {
      if (fromBody !== undefined)
        return { kind: 'invalid', description: 'the refresh token travels in its cookie only' };
      // Two cookies of one name (one planted for a parent domain, say): refuse rather than pick one.
      if (fromCookie.length > 1) return { kind: 'invalid', description: 'more than one refresh cookie' };
      return fromCookie[0] ? { kind: 'token', token: fromCookie[0] } : { kind: 'none' };
    }
    if (fromCookie.length > 0)
      return { kind: 'invalid', description: 'the refresh token travels in the body only' };
    if (fromBody === undefined) return { kind: 'none' };
    if (typeof fromBody !== 'string' || fromBody.length === 0) {
      return { kind: 'invalid', description: 'refresh_token must be a string' };
    }
    return { kind: 'token', token: fromBody };
  }

  const forbidden = () => json(403, { error: 'forbidden', error_description: 'cross-site request refused' });
  const badRequest = (description: string) =>
    json(400, { error: 'invalid_request', error_description: description });
  /** Security: reused, expired, revoked, unknown and forged all look the same from outside. */
  const refreshRefused = () =>
    withClearedCookie(
      json(401, {
        error: 'invalid_grant',
        error_description: 'the refresh token is invalid, expired or revoked',
      }),
    );

  async function refresh(request: Request, context: RequestContext): Promise<Response> {
    if (isCrossSite(request, trustedOrigins)) return forbidden();
    const credential = await readRefreshToken(request);
    if (credential.kind === 'invalid') return badRequest(credential.description);
    if (credential.kind === 'none') return refreshRefused();
    const dpop = dpopOf(request);
    try {
      return tokenResponse(
        await sessions.refresh(credential.token, {
          meta: metaOf(request, context),
          ...(dpop === undefined ? {} : { dpop }),
        }),
      );
    } catch (error) {
      // A bad proof is told apart (the client can fix it); a token without its key is a refused grant.
      const badProof = await tokenEndpointProofResponse(error, dpopConfig?.nonces);
      if (badProof !== undefined) return badProof;
      if (isTesseraError(error) && error.code !== 'ERR_UNAVAILABLE') return refreshRefused();
      return failure(error);
    }
  }

  async function logout(request: Request): Promise<Response> {
    if (isCrossSite(request, trustedOrigins)) return forbidden();
    const credential = await readRefreshToken(request);
    if (credential.kind === 'invalid') return badRequest(credential.description);
    if (credential.kind === 'token') {
      try {
        await sessions.logout(credential.token);
      } catch (error) {
        // A token that names no session has nothing to end; an outage must not pass for a logout.
        if (!isTesseraError(error) || error.code === 'ERR_UNAVAILABLE') return failure(error);
      }
    }
    return withClearedCookie(new Response(null, { status: 204, headers: NO_STORE }));
  }

  function failure(error: unknown): Response {
    if (isTesseraError(error)) return unavailable(retryAfter);
    return json(500, { error: 'server_error', error_description: 'internal error' });
  }

  /** Runs `action` for the bearer of the request, or answers with the authentication failure. */
  async function asUser(
    request: Request,
    context: RequestContext,
    action: (sub: string, sid: string) => Promise<Response>,
  ) {
    const auth = await authenticate(request, {}, context);
    if (!auth.ok) return auth.response;
    try {
      return await action(auth.claims.sub, auth.claims.sid);
    } catch (error) {
      return failure(error);
    }
  }

  /** What each built-in route does (`id`: the decoded id segment of a route that takes one). */
  const run: Record<
    RouteName,
    (request: Request, context: RequestContext, id: string) => Promise<Response> | Response | undefined
  > = {
    refresh: (request, context) => refresh(request, context),
    logout: (request) => logout(request),
    logoutEverywhere: (request, context) =>
      asUser(request, context, async (sub) => {
        await sessions.logoutEverywhere(sub);
        return withClearedCookie(new Response(null, { status: 204, headers: NO_STORE }));
      }),
    sessions: (request, context) =>
      asUser(request, context, async (sub, sid) => {
        const list = await sessions.list(sub);
        return json(200, {
          sessions: list.map((s) => ({
            id: s.sessionId,
            current: s.sessionId === sid,
            bound: s.bound,
            createdAt: s.createdAt.toISOString(),
            lastUsedAt: s.lastUsedAt.toISOString(),
            expiresAt: s.expiresAt.toISOString(),
            ...s.meta,
          })),
        });
      }),
    revokeSession: (request, context, id) =>
      asUser(request, context, async (sub) => {
        // Only the owner's sessions, checked by the store as it ends one: an id from someone else's
        // list is "not found", not "forbidden".
        if (!(await sessions.revokeSession(id, { owner: sub })))
          return json(404, { error: 'not_found', error_description: 'no such session' });
        return new Response(null, { status: 204, headers: NO_STORE });
      }),
    jwks: () =>
      jwks === undefined
        ? undefined
        : Response.json(jwks(), { headers: { 'cache-control': 'public, max-age=300' } }),
  };

  async function handle(request: Request, context: RequestContext = {}): Promise<Response | undefined> {
    const path = new URL(request.url).pathname;
    const { entries, rawId } = routesAt(table, path);
    if (entries.length === 0 || (entries[0]!.name === 'jwks' && jwks === undefined)) return undefined;
    const method = request.method.toUpperCase();
    const entry = entries.find((e) => e.method === method);
    if (entry === undefined) {
      return json(405, { error: 'method_not_allowed' }, { allow: entries.map((e) => e.method).join(', ') });
    }
    let id = '';
    if (rawId !== undefined) {
      // Hostile input: a malformed percent-encoding is the client's error, never a 500.
      try {
        id = decodeURIComponent(rawId);
      } catch {
        return badRequest('the session id is not valid percent-encoding');
      }
    }
    return run[entry.name](request, context, id);
  }

  return Object.freeze({
    routes,
    authenticate,
    handle,
    tokenResponse,
    dpopOf,
    tokenErrorResponse,
    metaOf,
    errorResponse,
  });
}

const FORM = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** Why a form-encoded request's body is refused as a credential carrier, or undefined when it is not. */
async function formCredential(request: RequestLike): Promise<string | undefined> {
  const refused = 'credentials are not accepted in the body';
  if (request.parsedBody !== undefined) {
    if (
      typeof request.parsedBody === 'object' &&
      request.parsedBody !== null &&
      Object.hasOwn(request.parsedBody, 'access_token')
    )
      return refused;
    if (typeof request.parsedBody !== 'string') return undefined;
    if (request.parsedBody.length > MAX_FORM_BYTES)
      return 'the form body is too large to check for credentials';
    return new URLSearchParams(request.parsedBody).has('access_token') ? refused : undefined;
  }
  // A Fetch Request by its shape: @hono/node-server's is not an instance of the global class.
  const fetchRequest = request as Partial<Request>;
  if (
    typeof fetchRequest.clone !== 'function' ||
    fetchRequest.body === null ||
    fetchRequest.body === undefined
  )
    return undefined;
  const length = Number(request.headers.get('content-length') ?? '0');
  if (!(length <= MAX_FORM_BYTES)) return 'the form body is too large to check for credentials';
  let text: string;
  try {
    text = await fetchRequest.clone().text();
  } catch {
    // Consumed already (the app read it first) or broken off: it cannot be checked, so it is refused.
    return 'the form body could not be checked for credentials';
  }
  if (text.length > MAX_FORM_BYTES) return 'the form body is too large to check for credentials';
  return new URLSearchParams(text).has('access_token') ? refused : undefined;
}

/**
 * The client that presented a token, read only if a rejection is reported (getters, not a closure:
 * nothing is built per request on the accepted path).
 */
class PresentingClient {
  constructor(
    private readonly request: RequestLike,
    private readonly context: RequestContext | undefined,
  ) {}

  get ip(): string | undefined {
    return this.context?.ip;
  }

  get userAgent(): string | undefined {
    return this.request.headers.get('user-agent') ?? undefined;
  }
}

/** The body as a JSON object: `{}` when empty, undefined when too large or not an object. */
async function readJsonObject(request: Request): Promise<Record<string, unknown> | undefined> {
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) return undefined;
  const text = request.body === null ? '' : await request.text();
  if (text.length > MAX_BODY_BYTES) return undefined;
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The path and query of a request target (origin-form as it is; an absolute URL's own). */
function pathOf(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}
