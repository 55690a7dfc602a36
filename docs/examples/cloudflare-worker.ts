/**
 * A Cloudflare Worker that verifies tessera access tokens (or any RFC 9068 issuer's) at the edge:
 * keys from the auth server's JWK Set, no `nodejs_compat` needed. Bindings: `ISSUER`, `AUDIENCE`,
 * `JWKS_URL`. Deploy with wrangler; `docs/test/edge-examples.test.ts` runs it in workerd.
 */
import { type AccessTokens, createAccessTokens, createRemoteJwks, isTesseraError } from '@tessera/core';

interface Env {
  readonly ISSUER: string;
  readonly AUDIENCE: string;
  readonly JWKS_URL: string;
}

// One verifier per isolate: the key set is fetched once and cached across requests.
let access: AccessTokens | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    access ??= createAccessTokens({
      issuer: env.ISSUER,
      audience: env.AUDIENCE,
      keys: { remote: createRemoteJwks(env.JWKS_URL) },
    });
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(request.headers.get('authorization') ?? '');
    if (match === null) {
      return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
    }
    try {
      const claims = await access.verify(match[1]!, { scope: 'reports:read' });
      return Response.json({ hello: claims.sub });
    } catch (error) {
      if (isTesseraError(error, 'ERR_UNAVAILABLE')) {
        return new Response(null, { status: 503, headers: { 'retry-after': '5' } });
      }
      if (isTesseraError(error, 'ERR_TOKEN_SCOPE')) {
        return new Response(null, {
          status: 403,
          headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
        });
      }
      return new Response(null, {
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
    }
  },
};
