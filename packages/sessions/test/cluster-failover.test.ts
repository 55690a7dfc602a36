/**
 * A Redis Cluster with one replica per master (six redis-server processes), a master killed during a
 * bounded run of logins, rotations and revocations, with the durability option on both stores: no
 * refresh generation is spent twice, no revoked access token is accepted, every failed rotation or
 * revocation is ERR_UNAVAILABLE, and the run recovers once the killed node is back (as a replica of
 * the promoted one: until then the promoted master has no replica, so durable writes refuse).
 */
import { randomBytes } from 'node:crypto';
import { createAccessTokens, isTesseraError } from '@tessera/core';
import { createDenylist } from '@tessera/denylist';
import { createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { createSessions, type Sessions } from '@tessera/sessions';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCluster } from '../../../test/support/redis.js';
import { shardLayout } from '../../denylist/src/lib/shards.js';

const SECRET = randomBytes(32);
const durability = { replicas: 1, timeoutMs: 500 } as const;
const codeOf = (error: unknown) =>
  isTesseraError(error)
    ? `${error.code}${error.code === 'ERR_SESSION_REVOKED' ? `:${error.reason}` : ''}`
    : `foreign: ${String(error)}`;
const generationOf = (refreshToken: string) => Number(refreshToken.split('.')[3]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The denylist in one slot, and in 12 shards (4 on each master: the killed one takes a third).
describe.each([1, 12])(
  'Redis Cluster failover during rotations and revocations, denylist in %i shard(s)',
  (shards) => {
    let cluster: RedisCluster;
    let client: Cluster;
    let sessions: Sessions;
    let close: () => Promise<void>;
    let denylistSlotKey: string;

    beforeAll(async () => {
      cluster = await RedisCluster.start(3, 1);
      client = new Cluster(cluster.startupNodes, {
        enableOfflineQueue: false,
        redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 500 },
        slotsRefreshInterval: 500,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
      });
      client.on('error', () => {});
      await new Promise((resolve) => client.once('ready', resolve));
      const prefix = `fo${randomBytes(4).toString('hex')}`;
      denylistSlotKey = shardLayout(`${prefix}:dl`, shards).shards[0]!.origin;
      const timeoutMs = 500;
      const denylist = createDenylist({
        client,
        prefix: `${prefix}:dl`,
        durability,
        timeoutMs,
        shards,
        onWarning: () => {},
      });
      await denylist.start();
      const access = createAccessTokens({
        issuer: 'https://auth.test',
        audience: 'https://api.test',
        keys: { sign: { kty: 'oct', alg: 'HS256', kid: 'k1', k: SECRET.toString('base64url') } },
        revocation: denylist,
      });
      const refresh = createRefreshTokens({
        store: createRedisStore({ client, prefix: `${prefix}:rt`, durability, timeoutMs }),
        secrets: [{ id: 's1', secret: SECRET }],
      });
      sessions = createSessions({ access, refresh, denylist });
      close = async () => {
        await denylist.close();
        client.disconnect();
      };
    }, 60_000);
    afterAll(async () => {
      await close?.();
      await cluster?.close();
    });

    it('no generation spent twice, no revoked token accepted, every failure ERR_UNAVAILABLE', async () => {
      // Users spread over the slots (and so over the masters).
      // Set-up, not under test: on a loaded machine a replica may acknowledge late at first, so a login
      // refused as not durable (ERR_UNAVAILABLE, and only that) is tried again, a bounded number of times.
      const login = async (sub: string) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await sessions.login(sub);
          } catch (error) {
            if (attempt >= 20 || codeOf(error) !== 'ERR_UNAVAILABLE') throw error;
            await sleep(250);
          }
        }
      };
      const live = await Promise.all(
        Array.from({ length: 8 }, async (_, n) => {
          const { accessToken, refreshToken, session } = await login(`user-${n}`);
          return {
            sid: session.sessionId,
            refreshToken,
            access: [accessToken.token],
            spent: new Set<number>(),
          };
        }),
      );
      const revoked: string[] = [];
      const revoking: typeof live = [];
      const failures: string[] = [];
      // The master that holds the denylist's slot goes down: revocations and their log with it.
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', denylistSlotKey));
      const [host, port] = client.slots[slot]![0]!.split(':');
      const victim = cluster.nodes.find((node) => String(node.port) === port && host === '127.0.0.1')!;
      expect(victim).toBeDefined();
      for (let round = 0; round < 40; round++) {
        if (round === 4) await victim.stop();
        // Back as a replica of the node promoted in its place: durable writes can be confirmed again.
        if (round === 20) await victim.resume();
        for (const session of live) {
          const presented = generationOf(session.refreshToken);
          try {
            const next = await sessions.refresh(session.refreshToken);
            if (!next.retried) {
              // A generation is spent once: a second non-retry rotation from it would fork the chain.
              expect(session.spent.has(presented)).toBe(false);
              session.spent.add(presented);
            }
            session.refreshToken = next.refreshToken;
            session.access.push(next.accessToken.token);
          } catch (error) {
            failures.push(`rotate: ${codeOf(error)}`);
          }
        }
        // Every fifth round one session is revoked; a revocation that failed (it may have been half
        // applied) is retried each round until it succeeds, as an app would, and never rotated again.
        if (round % 5 === 4 && live.length > 4) revoking.push(live.pop()!);
        for (const target of [...revoking]) {
          try {
            await sessions.revokeSession(target.sid);
            revoking.splice(revoking.indexOf(target), 1);
            revoked.push(...target.access);
          } catch (error) {
            failures.push(`revoke: ${codeOf(error)}`);
          }
        }
        for (const token of revoked) {
          const verdict = await sessions.verify(token).then(
            () => 'ok',
            (error: unknown) => codeOf(error),
          );
          expect(verdict).not.toBe('ok');
        }
        await sleep(50);
      }
      expect(failures.filter((f) => !f.endsWith('ERR_UNAVAILABLE'))).toEqual([]);
      // The run went through the failover: some calls failed, and every live session rotates again.
      expect(failures.length).toBeGreaterThan(0);
      // Recovered: every live session rotates again (bounded retries, while the returned node resyncs).
      for (const session of live) {
        let next: Awaited<ReturnType<Sessions['refresh']>> | undefined;
        for (let attempt = 0; next === undefined && attempt < 40; attempt++) {
          next = await sessions.refresh(session.refreshToken).catch((error: unknown) => {
            expect(codeOf(error)).toBe('ERR_UNAVAILABLE');
            return sleep(250).then(() => undefined);
          });
        }
        expect(next).toBeDefined();
        if (!next!.retried) expect(session.spent.has(generationOf(session.refreshToken))).toBe(false);
      }
      expect(revoking).toEqual([]);
      expect(revoked.length).toBeGreaterThan(0);
      // The view follows the promoted masters: every live session's newest access token verifies again.
      for (const session of live) {
        const newest = session.access.at(-1)!;
        let verdict = '';
        for (let attempt = 0; verdict !== 'ok' && attempt < 40; attempt++) {
          verdict = await sessions.verify(newest).then(
            () => 'ok',
            (error: unknown) => codeOf(error),
          );
          if (verdict !== 'ok') await sleep(250);
        }
        expect(verdict).toBe('ok');
      }
    }, 120_000);
  },
);
