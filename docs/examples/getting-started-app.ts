import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccessTokens, generateSigningKey, type Jwk } from '@tessera/core';
import { createDenylist, createMemoryDenylist, type Denylist, waitForRedis } from '@tessera/denylist';
import { createHttpAuth } from '@tessera/http';
import { tesseraExpress } from '@tessera/http/express';
import { createMemoryStore, createRefreshTokens, type RefreshStore } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { createSessions } from '@tessera/sessions';
import express, { type Express } from 'express';
import { Cluster, Redis } from 'ioredis';

/** Where sessions and revocations live: one process's memory, one Redis, or a Redis Cluster. */
export type Backend =
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string }
  | { readonly kind: 'cluster'; readonly nodes: readonly { host: string; port: number }[] };

/** Your secrets, loaded from your secret store at start-up (generated once, shared by every server). */
export interface Secrets {
  readonly signingKey: Jwk;
  readonly refreshSecret: Uint8Array;
}

/** A complete Express API: login, a protected route, and tessera's refresh, logout and devices routes. */
export async function createApp(
  backend: Backend,
  secrets: Secrets,
): Promise<{ app: Express; close: () => Promise<void> }> {
  let client: Redis | Cluster | undefined;
  let store: RefreshStore = createMemoryStore();
  let denylist: Denylist = createMemoryDenylist();
  if (backend.kind !== 'memory') {
    // Fail fast during an outage (ERR_UNAVAILABLE, a 503) instead of queueing commands.
    client =
      backend.kind === 'redis'
        ? new Redis(backend.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
        : new Cluster([...backend.nodes], {
            enableOfflineQueue: false,
            redisOptions: { maxRetriesPerRequest: 1 },
          });
    await waitForRedis(client, { timeoutMs: 5000 }); // a clear ERR_UNAVAILABLE, never a hang
    store = createRedisStore({ client, prefix: 'myapp:rt' });
    denylist = createDenylist({ client, prefix: 'myapp:dl', accessTtl: 900 });
  }
  await denylist.start();
  const access = createAccessTokens({
    issuer: 'https://auth.example.com',
    audience: 'https://api.example.com',
    keys: { sign: secrets.signingKey },
    ttl: 900,
  });
  const refresh = createRefreshTokens({ store, secrets: [{ id: 'r1', secret: secrets.refreshSecret }] });
  const sessions = createSessions({ access, refresh, denylist, claims: () => ({ scope: 'orders:read' }) });
  const auth = tesseraExpress(
    createHttpAuth({ sessions, jwks: access.jwks, refreshToken: { in: 'cookie' } }),
  );

  const app = express();
  app.use(auth.routes()); // POST /auth/token/refresh, /auth/token/logout, devices page, JWKS
  app.post('/login', express.json(), async (req, res, next) => {
    try {
      // Check the password your way first (a real app looks the user up); then:
      const tokens = await sessions.login(String(req.body.username), { meta: auth.metaOf(req) });
      await auth.sendTokens(res, tokens);
    } catch (error) {
      next(error); // a TesseraError becomes the same 503 the built-in routes give (below)
    }
  });
  app.get('/orders', auth.authenticate({ scope: 'orders:read' }), (req, res) => {
    res.json({ user: req.auth?.sub, orders: [] });
  });
  app.get('/ready', (_req, res) => {
    res.status(sessions.status().ready ? 200 : 503).end();
  });
  app.use(auth.errors()); // last: TesseraErrors from your routes answer like tessera's own
  const close = async () => {
    await denylist.close();
    client?.disconnect();
  };
  return { app, close };
}

/** What a client does: log in, call the API, refresh, log out; then the old tokens are refused. */
export async function tryIt(base: string): Promise<void> {
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'user-42', password: '...' }),
  });
  assert.equal(login.status, 200);
  const { access_token: accessToken } = (await login.json()) as { access_token: string };
  // A browser keeps this cookie itself; here we carry it by hand.
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const bearer = { authorization: `Bearer ${accessToken}` };
  assert.equal((await fetch(`${base}/orders`, { headers: bearer })).status, 200);

  const refreshed = await fetch(`${base}/auth/token/refresh`, { method: 'POST', headers: { cookie } });
  assert.equal(refreshed.status, 200);
  const nextCookie = refreshed.headers.getSetCookie()[0]!.split(';')[0]!;
  const logout = await fetch(`${base}/auth/token/logout`, {
    method: 'POST',
    headers: { cookie: nextCookie },
  });
  assert.equal(logout.status, 204);
  // Logout ended the session on the server: the access token and both refresh tokens are dead.
  assert.equal((await fetch(`${base}/orders`, { headers: bearer })).status, 401);
  assert.equal(
    (await fetch(`${base}/auth/token/refresh`, { method: 'POST', headers: { cookie: nextCookie } })).status,
    401,
  );
  assert.equal((await fetch(`${base}/ready`)).status, 200);
}

// Runs on memory always, and on Redis and a Cluster when the docs test passes their addresses.
const secrets: Secrets = {
  signingKey: await generateSigningKey('EdDSA'),
  refreshSecret: crypto.getRandomValues(new Uint8Array(32)),
};
const backends: Backend[] = [{ kind: 'memory' }];
const url = process.env['TESSERA_EXAMPLE_REDIS_URL'];
if (url !== undefined) backends.push({ kind: 'redis', url });
const nodes = process.env['TESSERA_EXAMPLE_CLUSTER_PORTS'];
if (nodes !== undefined)
  backends.push({
    kind: 'cluster',
    nodes: nodes.split(',').map((port) => ({ host: '127.0.0.1', port: Number(port) })),
  });
for (const backend of backends) {
  const { app, close } = await createApp(backend, secrets);
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await tryIt(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.close();
    await close();
  }
}
