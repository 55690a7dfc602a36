/**
 * Start-up fails fast and says why: a forgotten start() starts the denylist on first use (one
 * warning, 503s meanwhile), status() tells a readiness probe where it stands, and waitForRedis fails
 * within its bound with the reason when Redis is down.
 */
import { createDenylist, createMemoryDenylist, waitForRedis } from '@tessera/denylist';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import {
  accessTokens,
  eventually,
  failFast,
  newPrefix,
  outcome,
  pastTheOrigin,
  ready,
} from './support/harness.js';

describe('a denylist that was never started', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.close());

  it('starts on first use, warns once, refuses meanwhile, then vouches', async () => {
    const client = new Redis({ port: server.port, host: '127.0.0.1', ...failFast });
    await ready(client);
    const warnings: string[] = [];
    const prefix = newPrefix();
    const denylist = createDenylist({ client, prefix, onWarning: (message) => warnings.push(message) });
    try {
      expect(denylist.status()).toEqual({ ready: false, state: 'idle' });
      const access = accessTokens(denylist, Date.now);
      const token = access.issue({ sub: 'ada', epoch: 0 }).token;
      expect(await outcome(access.verify(token))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(access.verify(token))).toBe('ERR_UNAVAILABLE');
      expect(warnings.filter((w) => w.includes('before start()'))).toHaveLength(1);
      expect(await eventually(() => denylist.status().ready)).toBe(true);
      expect(denylist.status()).toEqual({ ready: true, state: 'ready' });
      await pastTheOrigin(client, prefix);
      const later = access.issue({ sub: 'ada', epoch: await denylist.epoch('ada') }).token;
      expect(await outcome(access.verify(later))).toBe('ok');
      await denylist.close();
      expect(denylist.status()).toEqual({ ready: false, state: 'closed' });
    } finally {
      client.disconnect();
    }
  });

  it('reports a failed start with its reason, and starts once Redis is back', async () => {
    const down = await RedisServer.start();
    const client = new Redis({ port: down.port, host: '127.0.0.1', ...failFast, retryStrategy: () => 50 });
    client.on('error', () => {});
    await ready(client);
    const denylist = createDenylist({ client, prefix: newPrefix(), timeoutMs: 300, onWarning: () => {} });
    try {
      await down.stop();
      await expect(denylist.start()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
      const failed = denylist.status();
      expect(failed).toMatchObject({ ready: false, state: 'failed' });
      expect(failed.lastError).toMatch(/^ERR_UNAVAILABLE \(redis\)/);
      await down.resume();
      await ready(client);
      await denylist.start();
      expect(denylist.status()).toEqual({ ready: true, state: 'ready' });
    } finally {
      await denylist.close();
      client.disconnect();
      await down.close();
    }
  });

  it('the memory denylist is ready at once, and closed after close', async () => {
    const denylist = createMemoryDenylist();
    expect(denylist.status()).toEqual({ ready: true, state: 'ready' });
    await denylist.close();
    expect(denylist.status()).toEqual({ ready: false, state: 'closed' });
  });
});

describe('waitForRedis', () => {
  it('resolves once the client is ready', async () => {
    const server = await RedisServer.start();
    const client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: false, ...failFast });
    try {
      await waitForRedis(client, { timeoutMs: 2000 });
      expect(client.status).toBe('ready');
      await waitForRedis(client); // already ready: at once
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  it('fails within its bound, naming the connection error, when nothing listens', async () => {
    const server = await RedisServer.start();
    const port = server.port;
    await server.close();
    const client = new Redis({ port, host: '127.0.0.1', ...failFast });
    client.on('error', () => {});
    const started = performance.now();
    try {
      const error = await waitForRedis(client, { timeoutMs: 400 }).then(
        () => undefined,
        (e: unknown) => e as { code: string; reason: string; message: string },
      );
      expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE', reason: 'redis_connect' });
      expect(error?.message).toMatch(/ECONNREFUSED/);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      client.disconnect();
    }
  });

  it('refuses a timeout that is not a positive number', async () => {
    const client = new Redis({ lazyConnect: true });
    await expect(waitForRedis(client, { timeoutMs: 0 })).rejects.toThrow(RangeError);
    client.disconnect();
  });
});
