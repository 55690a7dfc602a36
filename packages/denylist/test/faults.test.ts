/**
 * Faults against redis-servers of the test's own: a dropped follower connection, Redis stopped
 * (fail closed after maxStaleness, recover by itself), a restart with persistence (nothing missed),
 * and data loss (flush, restart without persistence) that must not revive a revoked token.
 */
import { createDenylist, createMemoryDenylist, type Denylist } from '@tessera/denylist';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import {
  accessTokens,
  eventually,
  failFast,
  outcome,
  pastTheOrigin,
  processOn,
  ready,
} from './support/harness.js';

const process = (server: RedisServer, prefix: string, warnings: string[] = []) =>
  processOn(server.port, prefix, { onWarning: (message) => warnings.push(message) });

const followerIds = async (server: RedisServer) =>
  (await server.cli('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => /cmd=(xread|exec)/.test(line))
    .map((line) => /id=(\d+)/.exec(line)![1]!);

describe('with persistence (AOF, fsync always)', () => {
  let server: RedisServer;
  let a: Awaited<ReturnType<typeof process>>;
  let b: Awaited<ReturnType<typeof process>>;
  const warnings: string[] = [];
  beforeAll(async () => {
    server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    a = await process(server, 'p', warnings);
    b = await process(server, 'p', warnings);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await server.close();
  });

  it('start() does not warn when Redis is configured as documented', () => {
    expect(warnings).toEqual([]);
  });

  it('the follower survives a dropped connection without missing an entry', async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => b.issue(`drop-${i}`)));
    const ids = await followerIds(server);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) await server.cli('CLIENT', 'KILL', 'ID', id);
    for (let i = 0; i < 50; i++) await a.denylist.revokeUser(`drop-${i}`);
    expect(
      await eventually(async () =>
        (await Promise.all(tokens.map(b.verify))).every((c) => c === 'ERR_TOKEN_REVOKED'),
      ),
    ).toBe(true);
  });

  it('Redis stopped: revocations reject loudly, checks fail closed after maxStaleness, then recover', async () => {
    const live = await b.issue('steady');
    const doomed = await b.issue('doomed');
    await a.denylist.revokeUser('doomed');
    expect(await eventually(async () => (await b.verify(doomed)) === 'ERR_TOKEN_REVOKED')).toBe(true);
    await server.stop();
    try {
      expect(await outcome(a.denylist.revokeUser('steady'))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(a.denylist.revokeSession('any'))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(a.denylist.epoch('steady'))).toBe('ERR_UNAVAILABLE');
      // Within the bound, the view is trusted; past it, every check fails closed.
      expect(await eventually(async () => (await b.verify(live)) === 'ERR_UNAVAILABLE', 3000)).toBe(true);
      expect(await b.verify(doomed)).toBe('ERR_UNAVAILABLE');
    } finally {
      await server.resume();
    }
    // Back by itself: the persisted revocation holds, the failed one never happened.
    expect(await eventually(async () => (await b.verify(live)) === 'ok', 10_000)).toBe(true);
    expect(await b.verify(doomed)).toBe('ERR_TOKEN_REVOKED');
    // And a revocation after the restart reaches the other process.
    await eventually(async () => (await outcome(a.denylist.revokeUser('steady'))) === 'ok', 10_000);
    expect(await eventually(async () => (await b.verify(live)) === 'ERR_TOKEN_REVOKED')).toBe(true);
  });
});

describe('data loss', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.close());

  async function lossScenario(lose: () => Promise<void>) {
    const prefix = `loss${Math.random().toString(36).slice(2)}`;
    const a = await process(server, prefix);
    const b = await process(server, prefix);
    try {
      const revoked = await b.issue('victim', 'victim-laptop');
      const innocent = await b.issue('bystander');
      await a.denylist.revokeUser('victim');
      expect(await eventually(async () => (await b.verify(revoked)) === 'ERR_TOKEN_REVOKED')).toBe(true);
      expect(await b.verify(innocent)).toBe('ok');
      // iat has one-second resolution: step past the second the tokens were issued in.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await lose();
      // The lost epoch must not revive the revoked token: every token from before the loss is refused.
      expect(await eventually(async () => (await b.verify(innocent)) === 'ERR_TOKEN_REVOKED', 10_000)).toBe(
        true,
      );
      expect(await b.verify(revoked)).toBe('ERR_TOKEN_REVOKED');
      await eventually(async () => (await outcome(a.denylist.epoch('victim'))) === 'ok', 10_000);
      expect(await a.denylist.epoch('victim')).toBe(0);
      // A token issued after the new origin (not in its first second) works.
      expect(await eventually(async () => (await b.verify(await b.issue('victim'))) === 'ok', 10_000)).toBe(
        true,
      );
      expect(await b.verify(revoked)).toBe('ERR_TOKEN_REVOKED');
    } finally {
      await a.close();
      await b.close();
    }
  }

  it('FLUSHALL: detected, and every earlier token is treated as revoked', async () => {
    await lossScenario(async () => {
      await server.cli('FLUSHALL');
    });
  });

  it('restart without persistence: detected, and every earlier token is treated as revoked', async () => {
    await lossScenario(async () => {
      await server.stop();
      await server.resume();
    });
  });
});

describe('settings check', () => {
  it('start() warns when persistence is off or keys can be evicted', async () => {
    const server = await RedisServer.start(['--maxmemory-policy', 'allkeys-lru']);
    const warnings: string[] = [];
    const p = await process(server, 'w', warnings);
    try {
      expect(warnings).toHaveLength(2);
      expect(warnings.join('\n')).toMatch(/appendonly/);
      expect(warnings.join('\n')).toMatch(/noeviction/);
    } finally {
      await p.close();
      await server.close();
    }
  });

  it('a denylist that is not started (or is closed) fails closed', async () => {
    const server = await RedisServer.start();
    const client = new Redis({ port: server.port, host: '127.0.0.1', ...failFast });
    await ready(client);
    const denylist: Denylist = createDenylist({ client, onWarning: () => {} });
    const access = accessTokens(denylist, Date.now);
    const token = accessTokens(denylist, () => Date.now() - 2000).issue({ sub: 'x' }).token;
    try {
      expect(await outcome(access.verify(token))).toBe('ERR_UNAVAILABLE');
      await denylist.start();
      expect(await outcome(access.verify(token))).toBe('ERR_TOKEN_REVOKED'); // issued before the origin existed
      await pastTheOrigin(client, 'tessera:dl');
      expect(await outcome(access.verify(access.issue({ sub: 'x' }).token))).toBe('ok');
      await denylist.close();
      expect(await outcome(access.verify(token))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(denylist.start())).toBe('ERR_UNAVAILABLE');
    } finally {
      client.disconnect();
      await server.close();
    }
  });

  it('a closed memory denylist fails closed too', async () => {
    const denylist = createMemoryDenylist();
    const access = accessTokens(denylist, Date.now);
    const token = access.issue({ sub: 'x' }).token;
    expect(await outcome(access.verify(token))).toBe('ok');
    await denylist.close();
    expect(await outcome(access.verify(token))).toBe('ERR_UNAVAILABLE');
  });
});
