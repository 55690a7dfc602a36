/**
 * One master of a sharded denylist's Cluster stops (a Cluster of this test's own, which keeps
 * serving the other masters' slots: cluster-require-full-coverage no). The checks that depend on it
 * fail closed (ERR_UNAVAILABLE: the user's or the session's shard is there); every other check, and
 * every revocation and epoch read of the other shards, goes on. When it comes back without its data,
 * its tokens are refused (their revocations may be lost) and the rest is as it was.
 */

import { sha256Name } from '@tessera/core/internal';
import { createDenylist } from '@tessera/denylist';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster } from '../../../test/support/redis.js';
import { keySlot, shardLayout } from '../src/lib/shards.js';
import {
  accessTokens,
  eventually,
  FAULT_STALENESS,
  failFast,
  newPrefix,
  outcome,
  pastTheOrigin,
  ready,
} from './support/harness.js';

const SHARDS = 12;

describe('a sharded denylist when one master of the Cluster stops', () => {
  let redis: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    redis = await RedisCluster.start(3, 0, ['--cluster-require-full-coverage', 'no']);
    client = new Cluster(redis.startupNodes, {
      redisOptions: failFast,
      enableOfflineQueue: false,
    });
    client.on('error', () => {});
    await ready(client);
  }, 60_000);
  afterAll(async () => {
    client.disconnect();
    await redis.close();
  });

  it('fails closed for the tokens of its shards only, and recovers', { timeout: 60_000 }, async () => {
    const prefix = newPrefix();
    const denylist = createDenylist({
      client,
      prefix,
      shards: SHARDS,
      maxStaleness: FAULT_STALENESS,
      timeoutMs: 500,
      onWarning: () => {},
    });
    await denylist.start();
    await pastTheOrigin(client, prefix, SHARDS);
    const access = accessTokens(denylist, Date.now);
    const layout = shardLayout(prefix, SHARDS);
    const shardOf = (id: string) => layout.shardOfName(sha256Name(id));
    const portOf = (shard: number) => {
      const owner = client.slots[keySlot(layout.shards[shard]!.log)]?.[0];
      return Number(owner?.slice(owner.lastIndexOf(':') + 1));
    };
    const users = Array.from({ length: 60 }, (_, i) => ({ sub: `user-${i}`, sid: `sid-${i}` }));
    const tokens = users.map(({ sub, sid }) => access.issue({ sub, sid, epoch: 0 }).token);

    const stopped = redis.nodes.find((node) => node.port === portOf(0))!;
    const onStopped = (id: string) => portOf(shardOf(id)) === stopped.port;
    const depends = users.map(({ sub, sid }) => onStopped(sub) || onStopped(sid));
    expect(depends).toContain(true);
    expect(depends).toContain(false);
    await stopped.stop();

    // The checks that depend on the stopped master fail closed; the others go on.
    const during = depends.map((on) => (on ? 'ERR_UNAVAILABLE' : 'ok'));
    expect(
      await eventually(async () => {
        const outcomes = await Promise.all(tokens.map((token) => outcome(access.verify(token))));
        return outcomes.every((o, i) => o === during[i]);
      }, 10_000),
    ).toBe(true);
    const status = denylist.status();
    expect(status).toMatchObject({ ready: false, state: 'stale', shards: SHARDS, staleShards: SHARDS / 3 });

    // Revocations and epoch reads of the other shards go on; of its shards, they fail loudly.
    const live = users.findIndex(({ sub, sid }) => !onStopped(sub) && !onStopped(sid));
    const down = users.findIndex(({ sub }) => onStopped(sub));
    expect(await outcome(denylist.revokeUser(users[live]!.sub))).toBe('ok');
    expect(await outcome(access.verify(tokens[live]!))).toBe('ERR_TOKEN_REVOKED');
    expect((await denylist.epochs(users[live]!.sub)).epoch).toBe(1);
    expect(await outcome(denylist.revokeUser(users[down]!.sub))).toBe('ERR_UNAVAILABLE');
    expect(await outcome(denylist.epochs(users[down]!.sub))).toBe('ERR_UNAVAILABLE');

    // It comes back empty (no persistence): its shards' earlier tokens are refused, the rest stands.
    await stopped.resume();
    const after = depends.map((on, i) => (on || i === live ? 'ERR_TOKEN_REVOKED' : 'ok'));
    expect(
      await eventually(async () => {
        const outcomes = await Promise.all(tokens.map((token) => outcome(access.verify(token))));
        return outcomes.every((o, i) => o === after[i]);
      }, 30_000),
    ).toBe(true);
    expect(denylist.status().ready).toBe(true);
    await denylist.close();
  });
});
