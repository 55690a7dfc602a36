/**
 * `@tessera/http/fastify`: the Fastify (5) adapter.
 * @packageDocumentation
 */

import { isTesseraError } from '@tessera/core';
import type { SessionMeta } from '@tessera/refresh';
import type { DpopPresentation, SessionAccessClaims, SessionTokens } from '@tessera/sessions';
import type {
  FastifyError,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { toFetchRequest, unreadableRequest } from './lib/node-http.node.js';
import { nodeRequestLike } from './lib/raw-headers.js';
import { routeTable } from './lib/route-table.js';
import type { HttpAuth } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified claims, set by tessera's `authenticate` pre-handler. */
    auth: SessionAccessClaims | null;
  }
}

/** The Fastify adapter returned by {@link tesseraFastify}. */
export interface TesseraFastify {
  /** Registers the built-in routes and `request.auth`. Register it on the root instance. */
  readonly plugin: FastifyPluginAsync;
  /** A pre-handler: verifies the bearer token, sets `request.auth`, or answers 400/401/403/503 itself. */
  authenticate(options?: { scope?: string | readonly string[] }): preHandlerAsyncHookHandler;
  /**
   * An error handler (`app.setErrorHandler(auth.errorHandler)`): a `TesseraError` thrown in your
   * own handlers gets the built-in routes' answer (RFC 6750, RFC 9449's for a bad DPoP proof at
   * login, or 503 with `Retry-After` during an outage), as JSON with no stack; anything else gets
   * Fastify's own answer.
   */
  errorHandler(
    error: FastifyError | Error,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply>;
  /** Sends a token pair (your login route's answer). */
  sendTokens(reply: FastifyReply, tokens: SessionTokens): Promise<FastifyReply>;
  /** The DPoP proof of your login request, for the `dpop` option of the session service's `login` (see `HttpAuth.dpopOf`). */
  dpopOf(request: FastifyRequest): DpopPresentation | undefined;
  /** The device metadata of a request (user agent, `request.ip`). */
  metaOf(request: FastifyRequest): SessionMeta;
}

async function send(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.status(response.status);
  for (const [name, value] of response.headers) if (name !== 'set-cookie') reply.header(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  return reply.send(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
}

/**
 * Adapts an {@link HttpAuth} to Fastify.
 *
 * @example
 * ```ts
 * const auth = tesseraFastify(http);
 * await app.register(auth.plugin);
 * app.get('/orders', { preHandler: auth.authenticate({ scope: 'orders:read' }) }, async (request) => ({ user: request.auth?.sub }));
 * ```
 */
export function tesseraFastify(http: HttpAuth): TesseraFastify {
  const { routes } = http;
  const plugin: FastifyPluginAsync = async (app) => {
    app.decorateRequest('auth', null);
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      const fetchRequest = toFetchRequest(request.raw, body);
      const response =
        fetchRequest === undefined
          ? unreadableRequest()
          : await http.handle(fetchRequest, { ip: request.ip });
      if (response === undefined) return reply.callNotFound();
      return send(reply, response);
    };
    for (const entry of routeTable(routes)) {
      app.route({ method: entry.method, url: entry.withId ? `${entry.path}/:id` : entry.path, handler });
    }
  };
  // Like fastify-plugin: `request.auth` and the routes belong to the instance it is registered on.
  Object.assign(plugin, { [Symbol.for('skip-override')]: true });
  return {
    plugin,
    authenticate(options = {}) {
      return async (request, reply) => {
        // The parsed body, if any: a form body's access_token is refused (one credential).
        const raw = nodeRequestLike(request.raw);
        const result = await http.authenticate(
          request.body === undefined ? raw : { ...raw, parsedBody: request.body },
          options,
          { ip: request.ip },
        );
        if (result.ok) request.auth = result.claims;
        else await send(reply, result.response);
      };
    },
    async errorHandler(error, _request, reply) {
      if (isTesseraError(error)) return send(reply, await http.tokenErrorResponse(error));
      const status = (error as FastifyError).statusCode ?? 500;
      // Fastify's own shape, without the message of an unexpected error (it may describe internals).
      return reply.status(status).send({
        statusCode: status,
        error: status >= 500 ? 'Internal Server Error' : error.name,
        message: status >= 500 ? 'internal error' : error.message,
      });
    },
    sendTokens: (reply, tokens) => send(reply, http.tokenResponse(tokens)),
    dpopOf: (request) => http.dpopOf(nodeRequestLike(request.raw)),
    metaOf: (request) => http.metaOf(nodeRequestLike(request.raw), { ip: request.ip }),
  };
}
