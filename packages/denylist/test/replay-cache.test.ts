/**
 * The Redis DPoP replay cache on real Redis: standalone and the three-master Cluster. A proof is
 * accepted once across verifiers sharing the cache; the key expires with the proof window; Redis
 * stopped or slow fails closed (ERR_UNAVAILABLE), never an accept.
 */
import { randomBytes } from 'node:crypto';
import { createDpopVerifier } from '@tessera/core';
import { createRedisReplayCache } from '@tessera/denylist';
import * as dpop from 'dpop';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import { connect, failFast, ready } from './support/harness.js';

const URL_ = 'https://api.example.com/orders';

describe.each(['redis', 'cluster'] as const)('the Redis replay cache on %s', (kind) => {
  let client: Awaited<ReturnType<typeof connect>>;
  beforeAll(async () => {
    client = await connect(kind);
  });
  afterAll(() => client.disconnect());

  it('a proof is accepted once across every verifier that shares the cache', async () => {
    const prefix = `dpop${randomBytes(4).toString('hex')}`;
    const verifiers = [0, 1, 2].map(() =>
      createDpopVerifier({ replay: createRedisReplayCache({ client, prefix }) }),
    );
    const keyPair = await dpop.generateKeyPair('ES256');
    const proof = await dpop.generateProof(keyPair, URL_, 'GET');
    await expect(verifiers[0]!.verify(proof, { method: 'GET', url: URL_ })).resolves.toBeTruthy();
    for (const verifier of verifiers) {
      await expect(verifier.verify(proof, { method: 'GET', url: URL_ })).rejects.toMatchObject({
        code: 'ERR_DPOP_PROOF',
        reason: 'replayed',
      });
    }
  });

  it('concurrently, exactly one of many copies of a proof is accepted', async () => {
    const prefix = `dpop${randomBytes(4).toString('hex')}`;
    const verifier = createDpopVerifier({ replay: createRedisReplayCache({ client, prefix }) });
    const proof = await dpop.generateProof(await dpop.generateKeyPair('Ed25519'), URL_, 'GET');
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, () => verifier.verify(proof, { method: 'GET', url: URL_ })),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('each key expires with the proof window, and has a fixed size whatever the jti', async () => {
    const prefix = `dpop${randomBytes(4).toString('hex')}`;
    const cache = createRedisReplayCache({ client, prefix });
    expect(await cache.remember(`${'j'.repeat(43)}.${'x'.repeat(256)}`, 65_000)).toBe(true);
    expect(await cache.remember(`${'j'.repeat(43)}.${'x'.repeat(256)}`, 65_000)).toBe(false);
    const nodes =
      kind === 'cluster' ? (client as import('ioredis').Cluster).nodes('master') : [client as Redis];
    const keys = (await Promise.all(nodes.map((node) => node.keys(`${prefix}:*`)))).flat();
    expect(keys).toHaveLength(1);
    expect(keys[0]!.length).toBe(prefix.length + 1 + 22);
    const owner = kind === 'cluster' ? (client as import('ioredis').Cluster) : (client as Redis);
    const ttl = await owner.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(65_000);
  });
});

describe('the Redis replay cache fails closed', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start(['--enable-debug-command', 'yes']);
  });
  afterAll(() => redis.stop());

  it('Redis stopped: ERR_UNAVAILABLE; back: accepted again', async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1', ...failFast });
    await ready(client);
    const verifier = createDpopVerifier({ replay: createRedisReplayCache({ client, timeoutMs: 200 }) });
    const keyPair = await dpop.generateKeyPair('ES256');
    await redis.stop();
    await expect(
      verifier.verify(await dpop.generateProof(keyPair, URL_, 'GET'), { method: 'GET', url: URL_ }),
    ).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    await redis.resume();
    await ready(client);
    await expect(
      verifier.verify(await dpop.generateProof(keyPair, URL_, 'GET'), { method: 'GET', url: URL_ }),
    ).resolves.toBeTruthy();
    client.disconnect();
  });

  it('Redis slower than the timeout: ERR_UNAVAILABLE within it', async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1', ...failFast });
    await ready(client);
    const blocker = new Redis({ port: redis.port, host: '127.0.0.1', ...failFast });
    await ready(blocker);
    const verifier = createDpopVerifier({ replay: createRedisReplayCache({ client, timeoutMs: 200 }) });
    const pause = blocker.call('DEBUG', 'SLEEP', '1').catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    const proof = await dpop.generateProof(await dpop.generateKeyPair('ES256'), URL_, 'GET');
    await expect(verifier.verify(proof, { method: 'GET', url: URL_ })).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    expect(performance.now() - started).toBeLessThan(900);
    await pause;
    client.disconnect();
    blocker.disconnect();
  });

  it('refuses bad options (ERR_CONFIG)', () => {
    for (const options of [
      {},
      { client: {} },
      { client: { set() {} }, prefix: 'a b' },
      { client: { set() {} }, timeoutMs: 0 },
    ]) {
      expect(() => createRedisReplayCache(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
    }
  });
});
