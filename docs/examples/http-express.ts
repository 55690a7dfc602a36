import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createHttpAuth } from '@tessera/http';
import { tesseraExpress } from '@tessera/http/express';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';
import express from 'express';

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
const auth = tesseraExpress(http);

const app = express();
app.use(auth.routes()); // POST /auth/token/refresh, /auth/token/logout, /auth/logout-everywhere, /auth/sessions, JWKS
app.post('/login', express.json(), async (req, res) => {
  // Check the password your way first; then:
  const tokens = await sessions.login(String(req.body.username), { meta: auth.metaOf(req) });
  await auth.sendTokens(res, tokens); // access token in the body, refresh token in a __Secure- cookie
});
app.get('/orders', auth.authenticate({ scope: 'orders:read' }), (req, res) => {
  res.json({ user: req.auth?.sub, orders: [] });
});

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const login = await fetch(`${base}/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'user-42' }),
});
const { access_token } = (await login.json()) as { access_token: string };
assert.match(
  login.headers.getSetCookie()[0] ?? '',
  /^__Secure-tessera-rt=.*; HttpOnly; Secure; SameSite=Strict$/,
);
const orders = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${access_token}` } });
assert.equal(orders.status, 200);
assert.equal((await fetch(`${base}/orders?access_token=${access_token}`)).status, 400);
server.close();
