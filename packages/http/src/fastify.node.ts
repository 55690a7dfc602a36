/**
 * `@tessera/http/fastify`: the Fastify (5) adapter.
 * @packageDocumentation
 */

import type { SessionMeta } from '@tessera/refresh';
import type { SessionAccessClaims, SessionTokens } from '@tessera/sessions';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
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
  /** Sends a token pair (your login route's answer). */
  sendTokens(reply: FastifyReply, tokens: SessionTokens): Promise<FastifyReply>;
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
        fetchRequest === undefined ? unreadableRequest() : await http.handle(fetchRequest, { ip: request.ip });
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
        const result = await http.authenticate(nodeRequestLike(request.raw), options);
        if (result.ok) request.auth = result.claims;
        else await send(reply, result.response);
      };
    },
    sendTokens: (reply, tokens) => send(reply, http.tokenResponse(tokens)),
    metaOf: (request) => http.metaOf(nodeRequestLike(request.raw), { ip: request.ip }),
  };
}
