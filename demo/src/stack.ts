import { randomBytes } from 'node:crypto';
import {
  type AccessTokens,
  createAccessTokens,
  createDpopNonces,
  createDpopVerifier,
  generateSigningKey,
  type Jwk,
} from '@tessera/core';
import { createDenylist, createMemoryDenylist, type Denylist, waitForRedis } from '@tessera/denylist';
import { createHttpAuth, type HttpAuth, type RefreshTransport } from '@tessera/http';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { createSessions, type SessionEvent, type Sessions } from '@tessera/sessions';
import { Redis } from 'ioredis';
import { createUsers, type Users } from './users.js';

/** Secrets that every server of one deployment shares (each process of a fleet gets the same ones). */
export interface SharedSecrets {
  readonly signingKey: Jwk;
  /** The refresh-token MAC secret, base64url. */
  readonly refreshSecret: string;
}

export async function newSecrets(): Promise<SharedSecrets> {
  return {
    signingKey: await generateSigningKey('EdDSA', { kid: `demo-${randomBytes(4).toString('hex')}` }),
    refreshSecret: randomBytes(32).toString('base64url'),
  };
}

export interface StackOptions {
  /** Run on this Redis (URL) instead of the in-memory stores. */
  readonly redisUrl?: string;
  /** Key prefix on Redis (servers of one deployment share it). */
  readonly prefix?: string;
  readonly secrets?: SharedSecrets;
  readonly transport?: RefreshTransport['in'];
  readonly events?: (event: SessionEvent) => void;
  /** Per-test clock. */
  readonly clock?: () => number;
  /**
   * DPoP: the public origin proofs name (`htu`), and whether a server nonce is required on resource
   * requests and at the token endpoint. A login with a proof binds the session to the client's key;
   * its tokens then work only with that key's proofs.
   */
  readonly dpop?: {
    readonly origin: string;
    readonly requireNonce?: boolean;
    readonly tokenEndpointNonce?: boolean;
  };
}

/** Everything the example API runs on. */
export interface Stack {
  readonly access: AccessTokens;
  readonly denylist: Denylist;
  readonly sessions: Sessions;
  readonly http: HttpAuth;
  readonly users: Users;
  readonly secrets: SharedSecrets;
  close(): Promise<void>;
}

/** Who issues the demo's access tokens, and the API fleet they are for. */
export const ISSUER = 'https://demo.tessera.test';
export const AUDIENCE = 'https://api.demo.tessera.test';
/** The public origin of the example API (behind its proxy): what DPoP proofs name in `htu`. */
export const PUBLIC_ORIGIN = AUDIENCE;

/** The demo's users: alice is a customer, bob an admin. */
export const DEMO_USERS = {
  alice: { password: 'correct horse battery staple', role: 'customer' },
  bob: { password: 'hunter2 but longer', role: 'admin' },
} as const;

export async function createStack(options: StackOptions = {}): Promise<Stack> {
  const secrets = options.secrets ?? (await newSecrets());
  const clock = options.clock ?? Date.now;
  const prefix = options.prefix ?? 'tessera:demo';
  const client =
    options.redisUrl === undefined
      ? undefined
      : new Redis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  if (client !== undefined) {
    // Bounded: with Redis down this fails in 3 s with the reason, where once('ready') would hang.
    await waitForRedis(client, { timeoutMs: 3000 }).catch((error: unknown) => {
      client.disconnect();
      throw error;
    });
  }
  const dpopNonces = createDpopNonces({ secret: randomBytes(32), clock });
  // One verifier for resource requests and the token endpoint: one replay cache sees every proof.
  const dpop = options.dpop === undefined ? undefined : createDpopVerifier({ clock, nonces: dpopNonces });
  const denylist =
    client === undefined
      ? createMemoryDenylist({ clock })
      : createDenylist({ client, prefix: `${prefix}:dl`, clock, onWarning: () => {} });
  await denylist.start();
  const access = createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { sign: secrets.signingKey },
    cache: true,
    // No `revocation` here: sessions.verify runs the denylist check itself (once per request).
    clock,
    ...(dpop === undefined ? {} : { dpop }),
  });
  const refresh = createRefreshTokens({
    store:
      client === undefined
        ? createMemoryStore({ clock })
        : createRedisStore({ client, prefix: `${prefix}:rt` }),
    secrets: [{ id: 'd1', secret: Buffer.from(secrets.refreshSecret, 'base64url') }],
    clock,
  });
  const users = createUsers(DEMO_USERS);
  const sessions = createSessions({
    access,
    refresh,
    denylist,
    clock,
    // Scopes come from the user's role, read again at every refresh.
    claims: (sub) => ({
      scope: users.roleOf(sub) === 'admin' ? ['orders:read', 'orders:write'] : ['orders:read'],
      claims: { role: users.roleOf(sub) ?? 'customer' },
    }),
    ...(options.events === undefined ? {} : { events: options.events }),
    ...(dpop === undefined ? {} : { dpop }),
  });
  const http = createHttpAuth({
    sessions,
    jwks: access.jwks,
    refreshToken: { in: options.transport ?? 'cookie' },
    ...(options.dpop === undefined
      ? {}
      : {
          dpop: {
            origin: options.dpop.origin,
            requireNonce: options.dpop.requireNonce ?? false,
            tokenEndpointNonce: options.dpop.tokenEndpointNonce ?? false,
            nonces: dpopNonces,
          },
        }),
  });
  return {
    access,
    denylist,
    sessions,
    http,
    users,
    secrets,
    async close() {
      await denylist.close();
      client?.disconnect();
    },
  };
}
