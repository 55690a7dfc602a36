/**
 * An acknowledged revocation is never lost silently. Real redis-servers of the test's own: a restart
 * from an older snapshot, a replica promoted right after an acknowledged write (kept with the
 * durability option, detected without it), hand-made log entries and damaged counters. In every case
 * the revoked token is rejected (or the check answers ERR_UNAVAILABLE), never accepted.
 */
import { randomBytes } from 'node:crypto';
import { sha256Name } from '@tessera/core/internal';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import { denylistKeys } from '../src/lib/keys.js';
import { eventually, outcome, processOn } from './support/harness.js';

const newPrefix = () => `dl${randomBytes(4).toString('hex')}`;
const REJECTED = ['ERR_TOKEN_REVOKED', 'ERR_UNAVAILABLE'];
/** Tokens carry whole seconds: one signed in the second an origin began is refused; wait that second out. */
const pastTheOriginSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));
const servers: RedisServer[] = [];
async function server(extra: readonly string[] = []): Promise<RedisServer> {
  const started = await RedisServer.start(extra);
  servers.push(started);
  return started;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('Redis restarted from an older snapshot', () => {
  it('a verifier started after the restart rejects the revoked token (the origin moved)', async () => {
    const redis = await server();
    const prefix = newPrefix();
    const a = await processOn(redis.port, prefix);
    const revoked = await a.issue('victim', 'victim-laptop');
    await redis.cli('SAVE');
    await a.denylist.revokeUser('victim');
    expect(await a.verify(revoked)).toBe('ERR_TOKEN_REVOKED');
    await a.close();
    await redis.stop();
    await redis.resume(); // loads the snapshot from before the revocation: epoch 0, the origin unchanged
    const fresh = await processOn(redis.port, prefix);
    try {
      expect(await fresh.denylist.epoch('victim')).toBe(0); // the loss is real
      expect(await fresh.verify(revoked)).toBe('ERR_TOKEN_REVOKED');
      // Tokens issued from now on work.
      await pastTheOriginSecond();
      expect(await fresh.verify(await fresh.issue('victim'))).toBe('ok');
    } finally {
      await fresh.close();
    }
  });

  it('a running verifier never accepts it across the restart, and rejects it once back', async () => {
    const redis = await server();
    const prefix = newPrefix();
    const a = await processOn(redis.port, prefix);
    const b = await processOn(redis.port, prefix);
    try {
      const revoked = await b.issue('victim');
      await redis.cli('SAVE');
      await a.denylist.revokeUser('victim');
      expect(await eventually(async () => (await b.verify(revoked)) === 'ERR_TOKEN_REVOKED')).toBe(true);
      await redis.stop();
      const seen = new Set<string>();
      const watching = (async () => {
        for (let i = 0; i < 200; i++) {
          seen.add(await b.verify(revoked));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      await redis.resume();
      await watching;
      expect([...seen].every((verdict) => REJECTED.includes(verdict))).toBe(true);
      expect(await eventually(async () => (await b.verify(revoked)) === 'ERR_TOKEN_REVOKED', 10_000)).toBe(
        true,
      );
      expect(await b.denylist.epoch('victim')).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('a replica promoted right after an acknowledged revocation', () => {
  it('with durability: { replicas: 1 } the revocation is on the replica (kept)', async () => {
    const primary = await server();
    const replica = await primary.replica();
    servers.push(replica);
    const prefix = newPrefix();
    const a = await processOn(primary.port, prefix, { durability: { replicas: 1, timeoutMs: 1000 } });
    const revoked = await a.issue('victim');
    await a.denylist.revokeUser('victim');
    await a.close();
    await primary.stop();
    await replica.cli('REPLICAOF', 'NO', 'ONE');
    const c = await processOn(replica.port, prefix);
    try {
      expect(await c.denylist.epoch('victim')).toBe(1); // kept
      expect(await c.verify(revoked)).toBe('ERR_TOKEN_REVOKED');
    } finally {
      await c.close();
    }
  });

  it('without it the write can be lost: detected, the token still rejected; with it, no acknowledgement', async () => {
    const primary = await server();
    const replica = await primary.replica();
    servers.push(replica);
    const prefix = newPrefix();
    const a = await processOn(primary.port, prefix);
    const durable = await processOn(primary.port, prefix, { durability: { replicas: 1, timeoutMs: 200 } });
    const revoked = await a.issue('victim');
    // The replica receives nothing from here on: frozen, and its link cut (what was already in its
    // socket buffer would otherwise still arrive when it thaws).
    replica.signal('SIGSTOP');
    await primary.cli('CLIENT', 'KILL', 'TYPE', 'replica');
    try {
      await a.denylist.revokeUser('victim'); // acknowledged by the primary alone
      // The durable denylist refuses to acknowledge what no replica holds.
      const refusal = await durable.denylist
        .revokeSession('s')
        .catch((error: unknown) => error as { code: string; reason: string });
      expect(refusal).toMatchObject({ code: 'ERR_UNAVAILABLE', reason: 'not_durable' });
    } finally {
      await a.close();
      await durable.close();
      await primary.stop();
      replica.signal('SIGCONT');
    }
    await replica.cli('REPLICAOF', 'NO', 'ONE');
    const c = await processOn(replica.port, prefix);
    try {
      expect(await c.denylist.epoch('victim')).toBe(0); // the revocation never reached the replica
      expect(await c.verify(revoked)).toBe('ERR_TOKEN_REVOKED'); // detected: the server changed
    } finally {
      await c.close();
    }
  });
});

describe('hand-made log entries and damaged counters', () => {
  it('an entry of an unknown version rejects every token issued before it, running and new verifiers alike', async () => {
    const redis = await server();
    const prefix = newPrefix();
    const a = await processOn(redis.port, prefix);
    try {
      await pastTheOriginSecond();
      const before = await a.issue('ada');
      expect(await a.verify(before)).toBe('ok');
      await redis.cli(
        'XADD',
        denylistKeys(`{${prefix}}`).log,
        '*',
        'u9',
        'a revocation from a later release',
      );
      expect(await eventually(async () => (await a.verify(before)) === 'ERR_TOKEN_REVOKED')).toBe(true);
      const fresh = await processOn(redis.port, prefix);
      expect(await fresh.verify(before)).toBe('ERR_TOKEN_REVOKED');
      await fresh.close();
    } finally {
      await a.close();
    }
  });

  it('a damaged epoch is an outage, never epoch 0', async () => {
    const redis = await server();
    const prefix = newPrefix();
    const a = await processOn(redis.port, prefix);
    try {
      await redis.cli('SET', denylistKeys(`{${prefix}}`).epoch(sha256Name('ada')), 'not a number');
      expect(await outcome(a.denylist.epoch('ada'))).toBe('ERR_UNAVAILABLE');
      expect(await outcome(a.denylist.revokeUser('ada'))).toBe('ERR_UNAVAILABLE');
    } finally {
      await a.close();
    }
  });

  it('a revocation count that goes backwards (or is damaged) moves the origin once, then all recovers', async () => {
    const redis = await server();
    const prefix = newPrefix();
    const keys = denylistKeys(`{${prefix}}`);
    const a = await processOn(redis.port, prefix);
    try {
      const before = await a.issue('ada');
      for (let i = 0; i < 3; i++) await a.denylist.revokeSession(`s${i}`);
      const origin = await redis.cli('GET', keys.origin);
      await redis.cli('SET', keys.seq, '1');
      expect(await eventually(async () => (await redis.cli('GET', keys.origin)) !== origin)).toBe(true);
      expect(await eventually(async () => (await a.verify(before)) === 'ERR_TOKEN_REVOKED')).toBe(true);
      const moved = await redis.cli('GET', keys.origin);
      await redis.cli('SET', keys.seq, 'garbage');
      expect(await eventually(async () => (await redis.cli('GET', keys.seq)) === '0')).toBe(true);
      expect(await redis.cli('GET', keys.origin)).not.toBe(moved);
      await pastTheOriginSecond();
      const after = await a.issue('ada');
      expect(await eventually(async () => (await a.verify(after)) === 'ok')).toBe(true);
      await a.denylist.revokeUser('ada');
      expect(await a.verify(after)).toBe('ERR_TOKEN_REVOKED');
    } finally {
      await a.close();
    }
  });
});
