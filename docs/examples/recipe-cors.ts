import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createHttpAuth } from '@tessera/http';
import { tesseraExpress } from '@tessera/http/express';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';
import express, { type RequestHandler } from 'express';

// The SPA is served from https://app.example.com, the API from https://api.example.com: another
// origin, the same site, so the SameSite=Strict refresh cookie still travels (with credentials).
const SPA = 'https://app.example.com';

/** CORS for the SPA's origin only: credentials for the refresh cookie, Authorization for the API. */
const cors: RequestHandler = (req, res, next) => {
  if (req.headers.origin === SPA) {
    res.setHeader('access-control-allow-origin', SPA);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'Origin');
  }
  if (req.method === 'OPTIONS') {
    res.setHeader('access-control-allow-methods', 'GET, POST, DELETE');
    res.setHeader('access-control-allow-headers', 'authorization, content-type');
    res.setHeader('access-control-max-age', '600');
    res.status(204).end();
    return;
  }
  next();
};

const access = createAccessTokens({
  issuer: 'https://api.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
});
const refresh = createRefreshTokens({
  store: createMemoryStore(),
  secrets: [{ id: 'r1', secret: randomBytes(32) }],
});
const sessions = createSessions({ access, refresh, denylist: createMemoryDenylist() });
const http = createHttpAuth({
  sessions,
  refreshToken: { in: 'cookie' },
  // The refresh and logout endpoints refuse cross-origin calls but from these (the CSRF check).
  trustedOrigins: [SPA],
});
const auth = tesseraExpress(http);
const app = express();
app.use(cors); // first: preflights never reach the routes
app.use(auth.routes());
app.post('/login', express.json(), async (req, res) => {
  await auth.sendTokens(res, await sessions.login(String(req.body.username)));
});

// What the SPA's fetch calls look like on the wire: `credentials: 'include'` on login and refresh.
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const fromSpa = { origin: SPA, 'sec-fetch-site': 'same-site' };
const preflight = await fetch(`${api}/auth/token/refresh`, { method: 'OPTIONS', headers: fromSpa });
assert.equal(preflight.status, 204);
assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
const login = await fetch(`${api}/login`, {
  method: 'POST',
  headers: { ...fromSpa, 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'user-42' }),
});
const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
const refreshed = await fetch(`${api}/auth/token/refresh`, {
  method: 'POST',
  headers: { ...fromSpa, cookie },
});
assert.equal(refreshed.status, 200);
assert.equal(refreshed.headers.get('access-control-allow-origin'), SPA);
// Any other origin is refused by the CSRF check, cookie or not.
const evil = { origin: 'https://evil.example.net', 'sec-fetch-site': 'cross-site', cookie };
assert.equal((await fetch(`${api}/auth/token/refresh`, { method: 'POST', headers: evil })).status, 403);
server.close();
