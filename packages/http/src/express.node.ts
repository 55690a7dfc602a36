/**
 * `@tessera/http/express`: the Express (5) adapter.
 * @packageDocumentation
 */

import { isTesseraError } from '@tessera/core';
import type { SessionMeta } from '@tessera/refresh';
import type { DpopPresentation, SessionAccessClaims, SessionTokens } from '@tessera/sessions';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { BODY_LIMIT, MAX_FORM_BYTES } from './lib/limits.js';
import { readBody, sendResponse, toFetchRequest, unreadableRequest } from './lib/node-http.node.js';
import { nodeRequestLike } from './lib/raw-headers.js';
import { isOwnPath, routeTable } from './lib/route-table.js';
import type { HttpAuth } from './types.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified claims, set by tessera's `authenticate` middleware. */
      auth?: SessionAccessClaims;
    }
  }
}

/** The Express adapter returned by {@link tesseraExpress}. */
export interface TesseraExpress {
  /** Middleware: verifies the bearer token, sets `req.auth`, or answers 400/401/403/503 itself. */
  authenticate(options?: { scope?: string | readonly string[] }): RequestHandler;
  /** Middleware serving the built-in routes (refresh, logout, sessions, JWKS); other requests go on. */
  routes(): RequestHandler;
  /**
   * Error middleware, registered after your routes (`app.use(auth.errors())`): a `TesseraError`
   * thrown in (or passed to `next` by) your own handlers gets the built-in routes' answer (RFC 6750,
   * RFC 9449's for a bad DPoP proof at login, or 503 with `Retry-After` during an outage), as JSON
   * with no stack; anything else goes on to the next error handler.
   */
  errors(): ErrorRequestHandler;
  /** Sends a token pair (your login route's answer). */
  sendTokens(res: Response, tokens: SessionTokens): Promise<void>;
  /** The DPoP proof of your login request, for the `dpop` option of the session service's `login` (see `HttpAuth.dpopOf`). */
  dpopOf(req: Request): DpopPresentation | undefined;
  /** The device metadata of a request (user agent, `req.ip`). */
  metaOf(req: Request): SessionMeta;
}

const FORM = /^application\/x-www-form-urlencoded/i;

/** A request's context whose IP is read only if a rejection is reported. */
class LazyIp {
  constructor(private readonly req: Request) {}

  get ip(): string | undefined {
    return this.req.ip;
  }
}

/**
 * Adapts an {@link HttpAuth} to Express.
 *
 * @example
 * ```ts
 * const auth = tesseraExpress(http);
 * app.use(auth.routes());
 * app.get('/orders', auth.authenticate({ scope: 'orders:read' }), (req, res) => res.json({ user: req.auth?.sub }));
 * ```
 */
export function tesseraExpress(http: HttpAuth): TesseraExpress {
  const table = routeTable(http.routes);
  return {
    authenticate(options = {}) {
      return (req, res, next) => {
        const verify = (body: unknown) => {
          // The body, if parsed: a form body's access_token is refused (one credential, one method).
          const request =
            body === undefined ? nodeRequestLike(req) : { ...nodeRequestLike(req), parsedBody: body };
          http.authenticate(request, options, new LazyIp(req)).then((result) => {
            if (result.ok) {
              req.auth = result.claims;
              next();
            } else {
              sendResponse(res, result.response).catch(next);
            }
          }, next);
        };
        if (req.body !== undefined || req.method === 'GET' || req.method === 'HEAD') return verify(req.body);
        if (!FORM.test(req.headers['content-type'] ?? '')) return verify(undefined);
        // A form body no parser has read: read it here (as express.urlencoded would, and leave it as
        // req.body), so a credential in it cannot pass unseen.
        readBody(req, MAX_FORM_BYTES + 1).then((text) => {
          req.body = Object.fromEntries(new URLSearchParams(text));
          verify(text);
        }, next);
      };
    },
    routes() {
      return (req, res, next) => {
        if (!isOwnPath(req.path, table)) return next();
        (async () => {
          // Read before the body: reading it may end the request's use of its socket.
          const context = req.ip === undefined ? {} : { ip: req.ip };
          // A body parser that ran before us (express.json) has consumed the stream: use its result.
          const body = req.body === undefined ? await readBody(req, BODY_LIMIT) : JSON.stringify(req.body);
          const request = toFetchRequest(req, body);
          const response = request === undefined ? unreadableRequest() : await http.handle(request, context);
          if (response === undefined) return next();
          await sendResponse(res, response);
        })().catch(next);
      };
    },
    errors() {
      return (error, _req, res, next) => {
        if (!isTesseraError(error) || res.headersSent) return next(error);
        http
          .tokenErrorResponse(error)
          .then((response) => sendResponse(res, response))
          .catch(next);
      };
    },
    sendTokens: (res, tokens) => sendResponse(res, http.tokenResponse(tokens)),
    // originalUrl: the path as the client sent it, whatever router the login route is mounted on.
    dpopOf: (req) => http.dpopOf({ ...nodeRequestLike(req), url: req.originalUrl }),
    metaOf: (req) => http.metaOf(nodeRequestLike(req), req.ip === undefined ? {} : { ip: req.ip }),
  };
}
