import { randomBytes } from 'node:crypto';
import { type AccessTokens, createAccessTokens } from '@tessera/core';
import { createDenylist, createMemoryDenylist, type Denylist, type DenylistOptions } from '@tessera/denylist';
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';
import { shardLayout } from '../../src/lib/shards.js';

/**
 * The tests' fixed "now": the next whole hour plus one hour of real time. A Redis denylist stamps its
 * origin with Redis's own clock (tokens issued before the origin are rejected), so an injected clock
 * must not run behind the real one.
 */
export const NOW = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
export const ACCESS_TTL = 900;
export const TOLERANCE = 5;

export type Kind = 'memory' | 'redis' | 'cluster';
export const KINDS: readonly Kind[] = ['memory', 'redis', 'cluster'];

/** A settable clock. */
export function testClock(start = NOW): {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
} {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}

export const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1 } as const;

/** A new client of the shared test Redis (standalone or Cluster). */
export async function connect(kind: 'redis' | 'cluster'): Promise<Redis | Cluster> {
  const topology = inject('redis');
  const client =
    kind === 'redis'
      ? new Redis({ port: topology.standalone.port, host: '127.0.0.1', ...failFast })
      : new Cluster(
          topology.cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
          { redisOptions: failFast, enableOfflineQueue: false },
        );
  await ready(client);
  return client;
}

export function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
}

/**
 * Waits until the second after the denylist's origin began. Tokens carry whole seconds, and one
 * signed in the second an origin began is refused (it may predate it): tests that issue a token
 * right after creating a new dataset, on the real clock, wait that second out.
 */
export async function pastTheOrigin(client: Redis | Cluster, prefix: string, shards = 1): Promise<void> {
  const origins = await Promise.all(
    shardLayout(prefix, shards).shards.map((keys) => client.get(keys.origin)),
  );
  const originMs = Math.max(...origins.map((origin) => Number(origin?.slice(0, origin.indexOf(':')))));
  const target = Math.ceil((originMs + 1) / 1000) * 1000;
  if (!Number.isFinite(target)) return;
  // A loop, not one timer: timers may fire a millisecond early.
  while (Date.now() < target) await new Promise((resolve) => setTimeout(resolve, target - Date.now() + 1));
}

/** One denylist process under test: its denylist, and an access-token service that consults it. */
export interface Process {
  readonly denylist: Denylist;
  readonly access: AccessTokens;
  close(): Promise<void>;
}

const SECRET = randomBytes(32);

export function accessTokens(denylist: Denylist, clock: () => number): AccessTokens {
  return createAccessTokens({
    issuer: 'https://auth.test',
    audience: 'https://api.test',
    keys: { sign: { kty: 'oct', alg: 'HS256', kid: 'k1', k: SECRET.toString('base64url') } },
    ttl: ACCESS_TTL,
    clockTolerance: TOLERANCE,
    revocation: denylist,
    clock,
  });
}

/**
 * Opens a denylist "process" of `kind`. Several processes opened with the same `prefix` share one
 * Redis dataset, each with its own client and its own log follower, as separate servers would.
 */
export async function openProcess(
  kind: Kind,
  options: { prefix?: string; clock?: () => number; extra?: Partial<DenylistOptions> } = {},
): Promise<Process> {
  const clock = options.clock ?? Date.now;
  if (kind === 'memory') {
    const denylist = createMemoryDenylist({ accessTtl: ACCESS_TTL, clockTolerance: TOLERANCE, clock });
    return { denylist, access: accessTokens(denylist, clock), close: () => denylist.close() };
  }
  const client = await connect(kind);
  const prefix = options.prefix ?? newPrefix();
  const denylist = createDenylist({
    client,
    prefix,
    accessTtl: ACCESS_TTL,
    clockTolerance: TOLERANCE,
    clock,
    onWarning: () => {},
    ...options.extra,
  });
  await denylist.start();
  if (options.clock === undefined) await pastTheOrigin(client, prefix, options.extra?.shards);
  return {
    denylist,
    access: accessTokens(denylist, clock),
    close: async () => {
      await denylist.close();
      client.disconnect();
    },
  };
}

export const newPrefix = () => `t${randomBytes(6).toString('hex')}`;

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

/** Polls `probe` until it returns true or `timeoutMs` passes. */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

/** maxStaleness of the fault tests' processes, seconds: short, so fail-closed shows quickly. */
export const FAULT_STALENESS = 0.3;

/**
 * A denylist "process" on a redis-server of the test's own (real clock, short staleness bound), with
 * helpers to issue and verify tokens: what the fault and data-loss tests drive.
 */
export async function processOn(port: number, prefix: string, extra: Partial<DenylistOptions> = {}) {
  const client = new Redis({ port, host: '127.0.0.1', ...failFast, retryStrategy: () => 50 });
  client.on('error', () => {});
  await ready(client);
  const denylist = createDenylist({
    client,
    prefix,
    maxStaleness: FAULT_STALENESS,
    timeoutMs: 500,
    onWarning: () => {},
    ...extra,
  });
  await denylist.start();
  await pastTheOrigin(client, prefix);
  const access = accessTokens(denylist, Date.now);
  const issue = async (sub: string, sid?: string) =>
    access.issue({ sub, ...(sid === undefined ? {} : { sid }), epoch: await denylist.epoch(sub) }).token;
  return {
    client,
    denylist,
    access,
    issue,
    verify: (token: string) => outcome(access.verify(token)),
    close: async () => {
      await denylist.close();
      client.disconnect();
    },
  };
}
