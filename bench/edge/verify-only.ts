/**
 * The edge bundle that `pnpm bench` weighs: a verify-only instance behind a remote JWK Set, as a
 * Worker's fetch handler would hold it.
 */
import { createAccessTokens, createRemoteJwks } from '@tessera/core';

const access = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { remote: createRemoteJwks('https://auth.example.com/.well-known/jwks.json') },
});

export default {
  async fetch(request: Request): Promise<Response> {
    const header = request.headers.get('authorization') ?? '';
    try {
      const claims = await access.verify(header.replace(/^Bearer /i, ''));
      return Response.json({ sub: claims.sub });
    } catch {
      return new Response(null, { status: 401 });
    }
  },
};
