/**
 * `@tessera/http/hono`: the Hono (4) adapter. Hono speaks Fetch, so this is thin.
 * @packageDocumentation
 */

import { isTesseraError } from '@tessera/core';
import type { SessionMeta } from '@tessera/refresh';
import type { DpopPresentation, SessionAccessClaims, SessionTokens } from '@tessera/sessions';
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { nodeRequestLike, type RawRequest } from './lib/raw-headers.js';
import { isOwnPath, routeTable } from './lib/route-table.js';
import type { HttpAuth, RequestContext, RequestLike } from './types.js';

/** Context variables set by tessera's middleware. */
export interface TesseraVariables {
  /** The verified claims, set by `authenticate`. */
  auth: SessionAccessClaims;
}

/** The Hono environment the `authenticate` middleware runs in. */
export interface TesseraEnv {
  /** What the middleware sets: `c.var.auth`. */
  Variables: TesseraVariables;
}

/** The Hono adapter returned by {@link tesseraHono}. */
export interface TesseraHono {
  /** Middleware: verifies the bearer token, sets `c.var.auth`, or answers 400/401/403/503 itself. */
  authenticate(options?: { scope?: string | readonly string[] }): MiddlewareHandler<TesseraEnv>;
  /** Middleware serving the built-in routes; other requests go on. */
  routes(): MiddlewareHandler;
  /**
   * An error handler (`app.onError(auth.onError)`): a `TesseraError` thrown in your own handlers gets
   * the built-in routes' answer (RFC 6750, RFC 9449's for a bad DPoP proof at login, or 503 with `Retry-After` during an outage), as JSON with
   * no stack; an `HTTPException` its own response; anything else a plain 500.
   */
  readonly onError: ErrorHandler;
  /** The response for a token pair (your login route's answer). */
  tokens(tokens: SessionTokens): Response;
  /** The DPoP proof of your login request, for the `dpop` option of the session service's `login` (see `HttpAuth.dpopOf`). */
  dpopOf(c: Context): DpopPresentation | undefined;
  /** The device metadata of a request. */
  metaOf(c: Context): SessionMeta;
}

/** Options of {@link tesseraHono}. */
export interface TesseraHonoOptions {
  /**
   * The client IP of a request. Default: the socket address under `@hono/node-server`
   * (`c.env.incoming`), else none. Behind a proxy, return what your proxy vouches for.
   */
  readonly ip?: (c: Context) => string | undefined;
}

/** What @hono/node-server binds: the Node request, read through its portable shape only. */
interface NodeBindings {
  incoming?: RawRequest & { readonly socket?: { readonly remoteAddress?: string | undefined } };
}

const incomingOf = (c: Context) => (c.env as NodeBindings | undefined)?.incoming;
const nodeIp = (c: Context): string | undefined => incomingOf(c)?.socket?.remoteAddress;
const FORM = /^application\/x-www-form-urlencoded/i;
const hasBody = (method: string) => method !== 'GET' && method !== 'HEAD';

/** A request's context whose IP is read only if a rejection is reported. */
class LazyIp implements RequestContext {
  constructor(
    private readonly c: Context,
    private readonly ipOf: (c: Context) => string | undefined,
  ) {}

  get ip(): string | undefined {
    return this.ipOf(this.c);
  }
}

/**
 * What the bearer check reads. Under @hono/node-server, the Node request itself: reading headers
 * through `c.req.raw` would build a whole Fetch Request on every call.
 */
function requestLike(c: Context): RequestLike {
  const incoming = incomingOf(c);
  if (incoming === undefined || !Array.isArray(incoming.rawHeaders)) return c.req.raw;
  const node = nodeRequestLike(incoming);
  // A form body is read from the Fetch Request (to refuse an access_token in it): the rare case.
  // (The header is read from the Node request: touching c.req would build the Fetch Request.)
  if (hasBody(node.method) && FORM.test(node.headers.get('content-type') ?? '')) return c.req.raw;
  return node;
}

/**
 * Adapts an {@link HttpAuth} to Hono.
 *
 * @example
 * ```ts
 * const auth = tesseraHono(http);
 * app.use(auth.routes());
 * app.get('/orders', auth.authenticate({ scope: 'orders:read' }), (c) => c.json({ user: c.var.auth.sub }));
 * ```
 */
export function tesseraHono(http: HttpAuth, options: TesseraHonoOptions = {}): TesseraHono {
  const ipOf = options.ip ?? nodeIp;
  const context = (c: Context): RequestContext => {
    const ip = ipOf(c);
    return ip === undefined ? {} : { ip };
  };
  return {
    authenticate(authOptions = {}) {
      return async (c, next) => {
        const result = await http.authenticate(requestLike(c), authOptions, new LazyIp(c, ipOf));
        if (!result.ok) return result.response;
        c.set('auth', result.claims);
        await next();
        return undefined;
      };
    },
    routes() {
      const table = routeTable(http.routes);
      return async (c, next) => {
        // Other requests pass untouched (and cheaply: no Fetch Request is built for them).
        const response = isOwnPath(c.req.path, table) ? await http.handle(c.req.raw, context(c)) : undefined;
        if (response !== undefined) return response;
        await next();
        return undefined;
      };
    },
    onError(error) {
      if (isTesseraError(error)) return http.tokenErrorResponse(error);
      const exception = error as Partial<{ getResponse(): Response }>;
      if (typeof exception.getResponse === 'function') return exception.getResponse();
      return Response.json({ error: 'server_error', error_description: 'internal error' }, { status: 500 });
    },
    tokens: (tokens) => http.tokenResponse(tokens),
    dpopOf: (c) => http.dpopOf(c.req.raw),
    metaOf: (c) => http.metaOf(c.req.raw, context(c)),
  };
}
