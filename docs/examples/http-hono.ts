import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createHttpAuth } from '@tessera/http';
import { type TesseraVariables, tesseraHono } from '@tessera/http/hono';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';
import { Hono } from 'hono';

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
const http = createHttpAuth({ sessions, jwks: access.jwks, refreshToken: { in: 'cookie' } });
const auth = tesseraHono(http);

const app = new Hono<{ Variables: TesseraVariables }>();
app.use(auth.routes());
app.post('/login', async (c) => {
  const { username } = await c.req.json<{ username: string }>();
  // Check the password your way first; then:
  return auth.tokens(await sessions.login(username, { meta: auth.metaOf(c) }));
});
app.get('/orders', auth.authenticate({ scope: 'orders:read' }), (c) =>
  c.json({ user: c.var.auth.sub, orders: [] }),
);

// Hono speaks Fetch: try it without a server (serve it with @hono/node-server, Bun or Deno).
const login = await app.request('/login', { method: 'POST', body: JSON.stringify({ username: 'user-42' }) });
const { access_token } = (await login.json()) as { access_token: string };
const orders = await app.request('/orders', { headers: { authorization: `Bearer ${access_token}` } });
assert.equal(orders.status, 200);
const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0]!;
const refreshed = await app.request('/auth/token/refresh', { method: 'POST', headers: { cookie } });
assert.equal(refreshed.status, 200);
const noToken = await app.request('/orders');
assert.equal(noToken.headers.get('www-authenticate'), 'Bearer realm="api"');
