/**
 * The sharded layout on real Redis: the shard tags land where lib/shards.ts says (Redis's own
 * CLUSTER KEYSLOT agrees), users' keys spread over every master of the three-master Cluster, a
 * revocation on any shard reaches another process, and a shard that loses its data refuses only the
 * tokens that depend on it.
 */
import { sha256Name } from '@tessera/core/internal';
import { createDenylist } from '@tessera/denylist';
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, keySlot, shardLayout } from '../src/lib/shards.js';
import { connect, eventually, newPrefix, openProcess, outcome, type Process } from './support/harness.js';

describe('shard layout', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = (await connect('cluster')) as Cluster;
  });
  afterAll(() => cluster.disconnect());

  it('computes the slot of any key as Redis does (hash tags included)', async () => {
    const pieces = fc.constantFrom('{', '}', 'a', 'é', '#', ':', '', '{}', 'user-1');
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(pieces, fc.string()), { minLength: 1, maxLength: 8 }),
        async (parts) => {
          const key = parts.join('');
          fc.pre(key.length > 0);
          expect(keySlot(key)).toBe(Number(await cluster.cluster('KEYSLOT', key)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('puts shard i of n in the i-th of n equal slot ranges, for every n, and one shard is the old layout', () => {
    for (let count = 2; count <= 100; count++) {
      const layout = shardLayout('tessera:dl', count);
      layout.shards.forEach((keys, i) => {
        const slot = keySlot(keys.log);
        expect(slot).toBeGreaterThanOrEqual(Math.floor((i * CLUSTER_SLOTS) / count));
        expect(slot).toBeLessThan(Math.floor(((i + 1) * CLUSTER_SLOTS) / count));
        // Every key of a shard shares its slot (each script touches one).
        for (const key of [keys.origin, keys.seq, keys.window, keys.server, keys.migrating, keys.epoch('x')])
          expect(keySlot(key)).toBe(slot);
      });
    }
    expect(shardLayout('tessera:dl', 1).shards[0]!.log).toBe('{tessera:dl}:log');
  });

  it('routes ids evenly: 20,000 ids over 16 shards, each within 10% of the mean', () => {
    const layout = shardLayout('p', 16);
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 20_000; i++) counts[layout.shardOfName(sha256Name(`user-${i}`))]!++;
    expect(Math.max(...counts) / 1250).toBeLessThan(1.1);
    expect(Math.min(...counts) / 1250).toBeGreaterThan(0.9);
  });
});

describe('48 shards on the three-master Cluster', () => {
  const prefix = newPrefix();
  let a: Process;
  let b: Process;
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = (await connect('cluster')) as Cluster;
    [a, b] = await Promise.all([
      openProcess('cluster', { prefix, extra: { shards: 48 } }),
      openProcess('cluster', { prefix, extra: { shards: 48 } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    cluster.disconnect();
  });

  it('keeps users on every master, 16 shards each, and a revocation on any shard reaches the other process', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const sessions = Array.from({ length: 100 }, (_, i) => `sid-${i}`);
    const tokens = await Promise.all(
      users.map(
        async (sub, i) => a.access.issue({ sub, sid: `live-${i}`, epoch: await a.denylist.epoch(sub) }).token,
      ),
    );
    const sessionTokens = sessions.map((sid) => a.access.issue({ sub: 'carol', sid }).token);
    const keep = a.access.issue({ sub: 'dave', sid: 'dave-1' }).token;
    await Promise.all(users.map((sub) => a.denylist.revokeUser(sub)));
    await Promise.all(sessions.map((sid) => a.denylist.revokeSession(sid)));

    // Where the keys are: every master holds epoch keys of 16 shards, and logs.
    const masters = cluster.nodes('master');
    expect(masters).toHaveLength(3);
    const perMaster = await Promise.all(
      masters.map(async (node) => {
        const keys: string[] = [];
        for await (const batch of node.scanStream({ match: `{${prefix}#48.*`, count: 1000 }))
          keys.push(...batch);
        return keys;
      }),
    );
    for (const keys of perMaster) {
      const shardsHere = new Set(keys.map((key) => key.slice(0, key.indexOf('}'))));
      expect(shardsHere.size).toBe(16);
      expect(keys.filter((key) => key.includes('}:e:')).length).toBeGreaterThan(30);
    }
    expect(perMaster.flat().filter((key) => key.includes('}:e:'))).toHaveLength(200);

    // Process b learns every one of them from the logs it follows.
    expect(
      await eventually(async () => {
        const outcomes = await Promise.all(
          [...tokens, ...sessionTokens].map((t) => outcome(b.access.verify(t))),
        );
        return outcomes.every((o) => o === 'ERR_TOKEN_REVOKED');
      }),
    ).toBe(true);
    expect(await outcome(b.access.verify(keep))).toBe('ok');
    expect((await b.denylist.epochs('user-7')).epoch).toBe(1);
  });
});

describe('a sharded start', () => {
  it('reads at most two pages of the logs at a time, whatever the shard count', async () => {
    // Every page in flight waits for this process to parse the ones before it: 48 shards read at
    // once timed out their pages at a million entries (each page is bounded by timeoutMs).
    const prefix = newPrefix();
    const writer = await openProcess('redis', { prefix, extra: { shards: 24 } });
    await Promise.all(Array.from({ length: 200 }, (_, i) => writer.denylist.revokeSession(`s${i}`)));
    await writer.close();
    const client = (await connect('redis')) as Redis;
    let inFlight = 0;
    let most = 0;
    const xrange = client.xrange.bind(client) as (...args: unknown[]) => Promise<unknown>;
    Object.assign(client, {
      xrange: async (...args: unknown[]) => {
        most = Math.max(most, ++inFlight);
        try {
          return await xrange(...args);
        } finally {
          inFlight--;
        }
      },
    });
    const denylist = createDenylist({ client, prefix, shards: 24, onWarning: () => {} });
    await denylist.start();
    expect(most).toBe(2);
    await denylist.close();
    client.disconnect();
  });
});

describe('a shard that loses its data', () => {
  it('refuses the tokens of its own users and sessions only', async () => {
    const prefix = newPrefix();
    const p = await openProcess('redis', { prefix, extra: { shards: 4, maxStaleness: 0.3 } });
    const layout = shardLayout(prefix, 4);
    try {
      const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
      const tokens = users.map((sub) => p.access.issue({ sub, epoch: 0 }).token);
      const lost = layout.shards[2]!;
      // Shard 2's dataset vanishes (as if its master restarted empty): its origin is gone.
      const client = (await connect('redis')) as Redis;
      await client.del(lost.origin, lost.seq, lost.log);
      const expected = users.map((sub) =>
        layout.shardOfName(sha256Name(sub)) === 2 ? 'ERR_TOKEN_REVOKED' : 'ok',
      );
      expect(expected).toContain('ok');
      expect(expected).toContain('ERR_TOKEN_REVOKED');
      expect(
        await eventually(async () => {
          const outcomes = await Promise.all(tokens.map((t) => outcome(p.access.verify(t))));
          return outcomes.every((o, i) => o === expected[i]);
        }),
      ).toBe(true);
      client.disconnect();
    } finally {
      await p.close();
    }
  });
});
