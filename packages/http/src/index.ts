/**
 * `@tessera/http`: sessions over HTTP on the Fetch API. Strict bearer extraction (Authorization
 * header only), the refresh token in a `__Secure-` cookie or a JSON body, CSRF checks, RFC 6750
 * responses and ready handlers. Adapters: `@tessera/http/express`, `/fastify`, `/hono`.
 * @packageDocumentation
 */
export { createHttpAuth } from './create-http-auth.js';
export { type BearerCredential, credentialInUrl, extractBearer } from './lib/bearer.js';
export type {
  AuthResult,
  HttpAuth,
  HttpAuthOptions,
  HttpAuthRoutes,
  HttpDpopOptions,
  RefreshTransport,
  RequestContext,
  RequestLike,
} from './types.js';
