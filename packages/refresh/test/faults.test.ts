/**
 * Store faults against a real redis-server of the test's own: Redis stopped in the middle of a run,
 * and Redis data loss.
 */
import { isTesseraError } from '@tessera/core';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import { NOW, ready, service, testClock } from './support/backends.js';

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (error: unknown) => (isTesseraError(error) ? error.code : `foreign: ${String(error)}`),
  );

describe('Redis faults', () => {
  let server: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    // AOF with fsync on every write: a SIGKILL loses nothing, as on a production Redis configured as documented.
    server = await RedisServer.start([
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--enable-debug-command',
      'yes',
    ]);
    client = new Redis({
      port: server.port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    await ready(client);
  });
  afterAll(async () => {
    client.disconnect();
    await server.close();
  });

  it('Redis stopped mid-run: ERR_UNAVAILABLE, no generation burnt, and the session works once Redis is back', async () => {
    const time = testClock(NOW);
    const refresh = service(createRedisStore({ client, prefix: 'fault', timeoutMs: 500 }), time.clock);
    const { token } = await refresh.issue({ sub: 'alice' });
    const one = await refresh.rotate(token);
    await server.stop();
    expect(await code(refresh.rotate(one.token))).toBe('ERR_UNAVAILABLE');
    expect(await code(refresh.issue({ sub: 'alice' }))).toBe('ERR_UNAVAILABLE');
    expect(await code(refresh.list('alice'))).toBe('ERR_UNAVAILABLE');
    expect(await code(refresh.revoke(one.session.sessionId))).toBe('ERR_UNAVAILABLE');
    await server.resume();
    await ready(client);
    // The failed attempt consumed nothing: the same token rotates to the very next generation.
    const two = await refresh.rotate(one.token);
    expect(two).toMatchObject({ generation: 2, retried: false });
  });

  it('64 concurrent callers sharing socket writes across a Redis restart: each gets the next generation or ERR_UNAVAILABLE, and all go on after', async () => {
    const time = testClock(NOW);
    const refresh = service(createRedisStore({ client, prefix: 'fault64', timeoutMs: 500 }), time.clock);
    const chains = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => (await refresh.issue({ sub: `user-${i}` })).token),
    );
    const rotateAll = () =>
      Promise.all(
        chains.map(async (token, i) => {
          try {
            const next = await refresh.rotate(token);
            chains[i] = next.token;
            return next.generation;
          } catch (error) {
            return isTesseraError(error) ? error.code : `foreign: ${String(error)}`;
          }
        }),
      );
    expect(new Set(await rotateAll())).toEqual(new Set([1]));
    await server.stop();
    expect(new Set(await rotateAll())).toEqual(new Set(['ERR_UNAVAILABLE']));
    // A restarted server has lost its script cache (NOSCRIPT); AOF kept the sessions.
    await server.resume();
    await ready(client);
    expect(new Set(await rotateAll())).toEqual(new Set([2]));
    expect(new Set(await rotateAll())).toEqual(new Set([3]));
  });

  it('Redis data loss (FLUSHALL, or a restart without persistence): tokens are unknown, never valid', async () => {
    const time = testClock(NOW);
    const refresh = service(createRedisStore({ client, prefix: 'loss' }), time.clock);
    const { token } = await refresh.issue({ sub: 'bob' });
    const next = await refresh.rotate(token);
    await client.flushall();
    expect(await code(refresh.rotate(next.token))).toBe('ERR_REFRESH_INVALID');
    expect(await code(refresh.rotate(token))).toBe('ERR_REFRESH_INVALID');
    expect(await refresh.list('bob')).toEqual([]);
  });

  it('a hung operation times out as ERR_UNAVAILABLE instead of hanging', async () => {
    const time = testClock(NOW);
    const refresh = service(createRedisStore({ client, prefix: 'hang', timeoutMs: 200 }), time.clock);
    const { token } = await refresh.issue({ sub: 'carol' });
    const blocker = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      const busy = blocker.call('DEBUG', 'SLEEP', '1').catch(() => undefined); // Redis is busy for 1 s
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await code(refresh.rotate(token))).toBe('ERR_UNAVAILABLE');
      await busy;
    } finally {
      blocker.disconnect();
    }
  });
});
