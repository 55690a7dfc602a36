/**
 * `middleware.ts` of a Next.js app: API routes answer only to a verified access token. Next runs
 * middleware on its edge runtime, where tessera selects WebCrypto (the `edge-light` condition).
 * Set `TESSERA_ISSUER`, `TESSERA_AUDIENCE` and `TESSERA_JWKS_URL`. Returning nothing lets the
 * request through; `docs/test/edge-examples.test.ts` calls it.
 */
import { createAccessTokens, createRemoteJwks, isTesseraError } from '@tessera/core';

const access = createAccessTokens({
  issuer: process.env.TESSERA_ISSUER ?? 'https://auth.example.com',
  audience: process.env.TESSERA_AUDIENCE ?? 'https://api.example.com',
  keys: {
    remote: createRemoteJwks(
      process.env.TESSERA_JWKS_URL ?? 'https://auth.example.com/.well-known/jwks.json',
    ),
  },
});

export async function middleware(request: Request): Promise<Response | undefined> {
  const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(request.headers.get('authorization') ?? '');
  if (match === null) return Response.json({ error: 'unauthorized' }, { status: 401 });
  try {
    await access.verify(match[1]!);
    return undefined; // on to the route
  } catch (error) {
    if (isTesseraError(error, 'ERR_UNAVAILABLE')) {
      return Response.json(
        { error: 'temporarily_unavailable' },
        { status: 503, headers: { 'retry-after': '5' } },
      );
    }
    return Response.json({ error: 'invalid_token' }, { status: 401 });
  }
}

export const config = { matcher: '/api/:path*' };
