import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { waitForRedis } from '@tessera/denylist';
import { createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';

/** Wires the Redis store; `url` comes from your configuration. */
export async function refreshOnRedis(url: string) {
  const client = new Redis(url, {
    enableOfflineQueue: false, // fail fast during an outage (ERR_UNAVAILABLE) instead of queueing rotations
    maxRetriesPerRequest: 1,
  });
  await waitForRedis(client, { timeoutMs: 5000 }); // ERR_UNAVAILABLE naming the reason, never a hang
  const refresh = createRefreshTokens({
    store: createRedisStore({ client, prefix: 'myapp:rt' }),
    secrets: [{ id: '2026-11', secret: randomBytes(32) }],
  });
  return { refresh, close: () => client.disconnect() };
}

// Runs when a Redis URL is given (the docs test passes the test suite's own redis-server).
const url = process.env['TESSERA_EXAMPLE_REDIS_URL'];
if (url !== undefined) {
  const { refresh, close } = await refreshOnRedis(url);
  const { token } = await refresh.issue({ sub: 'user-42' });
  assert.equal((await refresh.rotate(token)).generation, 1);
  close();
}
