import { randomBytes } from 'node:crypto';
import {
  createMemoryStore,
  createRefreshTokens,
  type RefreshStore,
  type RefreshTokensOptions,
} from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, inject } from 'vitest';

export const NOW = Date.UTC(2026, 10, 21);

/** A store under test, with a way to read everything it holds (for leak checks) and to clean up. */
export interface Backend {
  readonly name: string;
  readonly store: RefreshStore;
  /** Every byte the store holds, as text. */
  dump(): Promise<string>;
  close(): Promise<void>;
}

export type BackendName = 'memory' | 'redis' | 'cluster';
export const BACKENDS: readonly BackendName[] = ['memory', 'redis', 'cluster'];

const failFast = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false } as const;

/** A client of the shared standalone redis-server for the enclosing describe block: connected before its tests, disconnected after. */
export function standaloneClient(): Redis {
  const client = new Redis({ port: inject('redis').standalone.port, host: '127.0.0.1', lazyConnect: true });
  beforeAll(() => client.connect());
  afterAll(() => client.disconnect());
  return client;
}

export async function openBackend(name: BackendName, clock: () => number = () => NOW): Promise<Backend> {
  const prefix = `t${randomBytes(6).toString('hex')}`;
  if (name === 'memory') {
    const store = createMemoryStore({ clock });
    return { name, store, dump: async () => JSON.stringify(store.dump()), close: async () => {} };
  }
  const topology = inject('redis');
  if (name === 'redis') {
    const client = new Redis({ port: topology.standalone.port, host: '127.0.0.1', ...failFast });
    await ready(client);
    return {
      name,
      store: createRedisStore({ client, prefix }),
      dump: () => dumpKeys([client], prefix),
      close: async () => void client.disconnect(),
    };
  }
  const client = new Cluster(
    topology.cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: failFast, enableOfflineQueue: false },
  );
  await ready(client);
  const masters = client.nodes('master');
  return {
    name,
    store: createRedisStore({ client, prefix }),
    dump: () => dumpKeys(masters, prefix),
    close: async () => void client.disconnect(),
  };
}

/** Resolves once the client is connected (with the offline queue off, commands before that fail). */
export function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
}

/** Every key under `prefix` with its full content, on every given node (all are strings: GET fails loudly on any other type). */
async function dumpKeys(nodes: readonly Redis[], prefix: string): Promise<string> {
  const parts: string[] = [];
  for (const node of nodes) {
    for (const key of await node.keys(`${prefix}:*`)) {
      parts.push(key, JSON.stringify(await node.get(key)));
    }
  }
  return parts.join('\n');
}

export const SECRET = randomBytes(32);

export function service(
  store: RefreshStore,
  clock: () => number,
  overrides: Partial<RefreshTokensOptions> = {},
) {
  return createRefreshTokens({ store, secrets: [{ id: 's1', secret: SECRET }], clock, ...overrides });
}

export interface TestClock {
  now: number;
  readonly clock: () => number;
}

export function testClock(now = NOW): TestClock {
  const state = { now, clock: () => state.now };
  return state;
}
