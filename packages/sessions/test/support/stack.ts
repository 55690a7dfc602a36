import { randomBytes } from 'node:crypto';
import { type AccessTokens, createAccessTokens, type DpopVerifier } from '@tessera/core';
import { createDenylist, createMemoryDenylist, type Denylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens, type RefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { createSessions, type SessionEvent, type Sessions, type SessionsOptions } from '@tessera/sessions';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';

/**
 * The tests' fixed "now": the next whole hour plus one hour of real time. A Redis denylist stamps its
 * origin with Redis's own clock (tokens issued before the origin are rejected), so an injected clock
 * must not run behind the real one.
 */
export const NOW = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
export type Kind = 'memory' | 'redis' | 'cluster';
export const KINDS: readonly Kind[] = ['memory', 'redis', 'cluster'];

export function testClock(start = NOW) {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
    set(ms: number) {
      current = ms;
    },
  };
}

/** Everything a session service is made of, on one kind of store, with the events it emitted. */
export interface Stack {
  readonly sessions: Sessions;
  readonly access: AccessTokens;
  readonly refresh: RefreshTokens;
  readonly denylist: Denylist;
  readonly events: SessionEvent[];
  close(): Promise<void>;
}

const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1 } as const;
const SECRET = randomBytes(32);

export async function openStack(
  kind: Kind,
  options: {
    clock?: () => number;
    extra?: Partial<SessionsOptions>;
    maxSessionsPerUser?: number;
    /** A DPoP verifier for both the access tokens and the token endpoint. */
    dpop?: DpopVerifier;
  } = {},
): Promise<Stack> {
  const clock = options.clock ?? Date.now;
  const prefix = `t${randomBytes(6).toString('hex')}`;
  let client: Redis | Cluster | undefined;
  if (kind !== 'memory') {
    const topology = inject('redis');
    client =
      kind === 'redis'
        ? new Redis({ port: topology.standalone.port, host: '127.0.0.1', ...failFast })
        : new Cluster(
            topology.cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
            { redisOptions: failFast, enableOfflineQueue: false },
          );
    const connecting = client;
    await new Promise<void>((resolve, reject) => {
      connecting.once('ready', resolve);
      connecting.once('error', reject);
    });
  }
  const denylist =
    client === undefined
      ? createMemoryDenylist({ clock })
      : createDenylist({ client, prefix: `${prefix}:dl`, clock, onWarning: () => {} });
  await denylist.start();
  const access = createAccessTokens({
    issuer: 'https://auth.test',
    audience: 'https://api.test',
    keys: { sign: { kty: 'oct', alg: 'HS256', kid: 'k1', k: SECRET.toString('base64url') } },
    clock,
    ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
  });
  const refresh = createRefreshTokens({
    store:
      client === undefined
        ? createMemoryStore({ clock })
        : createRedisStore({ client, prefix: `${prefix}:rt` }),
    secrets: [{ id: 's1', secret: SECRET }],
    clock,
    ...(options.maxSessionsPerUser === undefined ? {} : { maxSessionsPerUser: options.maxSessionsPerUser }),
  });
  const events: SessionEvent[] = [];
  const sessions = createSessions({
    access,
    refresh,
    denylist,
    events: (event) => events.push(event),
    clock,
    ...(options.dpop === undefined ? {} : { dpop: options.dpop }),
    ...options.extra,
  });
  return {
    sessions,
    access,
    refresh,
    denylist,
    events,
    async close() {
      await denylist.close();
      client?.disconnect();
    },
  };
}

/** The error code a promise settles with ('ok' when it resolves). */
export function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) =>
      typeof error === 'object' && error !== null && 'code' in error
        ? String(error.code)
        : `foreign: ${String(error)}`,
  );
}
