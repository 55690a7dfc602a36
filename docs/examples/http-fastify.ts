import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createHttpAuth } from '@tessera/http';
import { tesseraFastify } from '@tessera/http/fastify';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';
import Fastify from 'fastify';

const denylist = createMemoryDenylist();
const access = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
  cache: true,
});
const refresh = createRefreshTokens({
  store: createMemoryStore(),
  secrets: [{ id: 'r1', secret: randomBytes(32) }],
});
const sessions = createSessions({ access, refresh, denylist, claims: () => ({ scope: 'orders:read' }) });
// Native and server clients: the refresh token travels in the JSON body instead of a cookie.
const http = createHttpAuth({ sessions, jwks: access.jwks, refreshToken: { in: 'body' } });
const auth = tesseraFastify(http);

const app = Fastify();
await app.register(auth.plugin); // the built-in routes, and request.auth
app.post<{ Body: { username: string } }>('/login', async (request, reply) => {
  // Check the password your way first; then:
  const tokens = await sessions.login(request.body.username, { meta: auth.metaOf(request) });
  return auth.sendTokens(reply, tokens);
});
app.get('/orders', { preHandler: auth.authenticate({ scope: 'orders:read' }) }, async (request) => ({
  user: request.auth?.sub,
  orders: [],
}));

const base = await app.listen({ port: 0, host: '127.0.0.1' });
const login = await app.inject({ method: 'POST', url: '/login', payload: { username: 'user-42' } });
const { access_token, refresh_token } = login.json<{ access_token: string; refresh_token: string }>();
const orders = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${access_token}` } });
assert.equal(orders.status, 200);
const refreshed = await fetch(`${base}/auth/token/refresh`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ refresh_token }),
});
assert.equal(refreshed.status, 200);
assert.equal(refreshed.headers.get('cache-control'), 'no-store');
await app.close();
