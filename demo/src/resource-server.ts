import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccessTokens, createRemoteJwks, isTesseraError } from '@tessera/core';
import { createDenylist, type Denylist, waitForRedis } from '@tessera/denylist';
import { extractBearer, type RequestLike } from '@tessera/http';
import { Redis } from 'ioredis';
import { AUDIENCE, ISSUER } from './stack.js';

/**
 * A second service of the demo's fleet: a resource server (a reports API) that only verifies. Its
 * keys come from the auth server's JWK Set (`createRemoteJwks`); its revocations from the same Redis
 * denylist, which it follows like every verifier (no round trip per request). It holds no signing
 * key, no refresh store and no sessions.
 */
export interface ResourceServerOptions {
  /** The auth server's `/.well-known/jwks.json`. */
  readonly jwksUrl: string;
  /** Follow the denylist on this Redis (the auth server's), under `prefix`. */
  readonly redisUrl?: string;
  readonly prefix?: string;
  /** Without Redis: the auth server's own in-memory denylist (one process only). */
  readonly denylist?: Denylist;
}

export interface RunningResourceServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startResourceServer(
  options: ResourceServerOptions,
  port = 0,
): Promise<RunningResourceServer> {
  const client =
    options.redisUrl === undefined
      ? undefined
      : new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  if (client !== undefined) await waitForRedis(client, { timeoutMs: 3000 });
  const denylist =
    client === undefined
      ? options.denylist
      : createDenylist({ client, prefix: `${options.prefix ?? 'tessera:demo'}:dl`, onWarning: () => {} });
  if (denylist === undefined)
    throw new Error('a resource server needs a denylist: redisUrl, or the auth server’s');
  const owned = client !== undefined;
  if (owned) await denylist.start();
  const remote = createRemoteJwks(options.jwksUrl);
  await remote.refresh();
  const access = createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { remote },
    revocation: denylist,
  });

  const server: Server = createServer(async (incoming, response) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...headers,
      });
      response.end(JSON.stringify(body));
    };
    const request: RequestLike = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      headers: { get: (name) => (incoming.headers[name] as string | undefined) ?? null },
    };
    if (request.method !== 'GET' || !request.url.startsWith('/api/reports')) {
      send(404, { error: 'not_found' });
      return;
    }
    const credential = extractBearer(request, []);
    if (credential.kind !== 'token') {
      const invalid = credential.kind === 'invalid';
      send(invalid ? 400 : 401, invalid ? { error: 'invalid_request' } : {}, {
        'www-authenticate': invalid ? 'Bearer error="invalid_request"' : 'Bearer',
      });
      return;
    }
    try {
      const claims = await access.verify(credential.token, { scope: 'orders:read' });
      send(200, { service: 'reports', sub: claims.sub, reports: ['2026-11 revenue', '2026-11 refunds'] });
    } catch (error) {
      if (isTesseraError(error, 'ERR_UNAVAILABLE'))
        send(503, { error: 'temporarily_unavailable' }, { 'retry-after': '1' });
      else if (isTesseraError(error, 'ERR_TOKEN_SCOPE')) send(403, { error: 'insufficient_scope' });
      else
        send(
          401,
          { error: 'invalid_token' },
          {
            'www-authenticate': `Bearer error="invalid_token"${isTesseraError(error) ? `, error_description="${error.code}"` : ''}`,
          },
        );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (owned) await denylist.close();
      client?.disconnect();
    },
  };
}
