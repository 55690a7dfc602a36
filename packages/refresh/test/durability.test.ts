/**
 * The durability option of the Redis store, on a real primary with one replica: writes resolve once
 * the replica holds them; a write the replica did not confirm rejects with ERR_UNAVAILABLE, and a
 * rotation in that case is undone, so the same token retried later (even past the grace window)
 * rotates as the current one instead of reading as reuse.
 */
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import { NOW, ready, service, testClock } from './support/backends.js';

describe('Redis store durability: { replicas: 1 }', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    primary = await RedisServer.start();
    replica = await primary.replica();
    client = new Redis({ port: primary.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    await ready(client);
  });
  afterAll(async () => {
    client.disconnect();
    replica.signal('SIGCONT');
    await Promise.all([primary.close(), replica.close()]);
  });

  it('an unconfirmed rotation is undone: the retry past the grace window rotates, no reuse', async () => {
    const time = testClock(NOW);
    const refresh = service(
      createRedisStore({ client, prefix: 'dur', durability: { replicas: 1, timeoutMs: 1000 } }),
      time.clock,
    );
    const issued = await refresh.issue({ sub: 'ada' });
    const first = await refresh.rotate(issued.token);
    expect(first.generation).toBe(1);

    replica.signal('SIGSTOP');
    await primary.cli('CLIENT', 'KILL', 'TYPE', 'replica');
    time.now += 1_000;
    const refused = await refresh
      .rotate(first.token)
      .catch((error: unknown) => error as { code: string; reason: string });
    expect(refused).toMatchObject({ code: 'ERR_UNAVAILABLE', reason: 'not_durable' });
    const created = await refresh.issue({ sub: 'bob' }).catch((error: unknown) => error as { code: string });
    expect(created).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    replica.signal('SIGCONT');
    for (
      let i = 0;
      i < 200 && !(await replica.cli('INFO', 'replication')).includes('master_link_status:up');
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 50));

    // Well past the 10 s grace window: without the undo, this would be reuse and end the session.
    time.now += 60_000;
    const retried = await refresh.rotate(first.token);
    expect(retried).toMatchObject({ generation: 2, retried: false });
    expect((await refresh.rotate(retried.token)).generation).toBe(3);
  });
});
