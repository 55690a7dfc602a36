/**
 * Migrating a denylist from the single-slot layout to 12 shards on the three-master Cluster, as a
 * fleet rolls out: processes of the old layout and migrating ones (`reshardFrom: 1`) side by side,
 * each refusing what the other revoked; `migrateDenylist`; then processes of the new layout alone,
 * which still refuse everything revoked before, and accept the live tokens issued before. A new
 * layout the migration never copied fails closed.
 */
import { sha256Name } from '@tessera/core/internal';
import { createDenylist, migrateDenylist } from '@tessera/denylist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessTokens,
  connect,
  eventually,
  newPrefix,
  openProcess,
  outcome,
  type Process,
  pastTheOrigin,
} from './support/harness.js';

const SHARDS = 12;

describe('migrating from one slot to 12 shards', () => {
  const prefix = newPrefix();
  const opened: Process[] = [];
  const open = async (extra: { shards?: number; reshardFrom?: number } = {}) => {
    const process = await openProcess('cluster', { prefix, extra });
    opened.push(process);
    return process;
  };
  let old: Process;
  beforeAll(async () => {
    old = await open();
  });
  afterAll(async () => {
    await Promise.all(opened.map((process) => process.close()));
  });

  const issue = async (p: Process, sub: string, sid: string) =>
    p.access.issue({ sub, sid, epoch: await p.denylist.epoch(sub) }).token;
  const refusedBy = (p: Process, token: string) =>
    eventually(async () => (await outcome(p.access.verify(token))) === 'ERR_TOKEN_REVOKED');

  it('keeps every revocation and every live token through the rollout', { timeout: 60_000 }, async () => {
    // Before: the old layout alone.
    const before = {
      user: await issue(old, 'ada', 'ada-1'),
      session: await issue(old, 'bob', 'bob-1'),
      live: await issue(old, 'carol', 'carol-1'),
    };
    await old.denylist.revokeUser('ada');
    await old.denylist.revokeSession('bob-1');
    await old.denylist.revokeUser('erin', { keepSessions: true });
    for (let i = 0; i < 50; i++) await old.denylist.revokeUser(`many-${i}`);

    // Rolling out: migrating processes beside the old one.
    const migrating = await open({ shards: SHARDS, reshardFrom: 1 });
    // The new shards begin where the old layout began: tokens issued before are not refused for it.
    expect(await outcome(migrating.access.verify(before.live))).toBe('ok');
    expect(await outcome(migrating.access.verify(before.user))).toBe('ERR_TOKEN_REVOKED');
    expect(await outcome(migrating.access.verify(before.session))).toBe('ERR_TOKEN_REVOKED');
    expect(await migrating.denylist.epochs('erin')).toEqual({ epoch: 1, sessionFloor: 0 });

    // Each side refuses what the other revokes.
    const fromMigrating = await issue(migrating, 'dave', 'dave-1');
    await migrating.denylist.revokeUser('dave');
    expect(await refusedBy(old, fromMigrating)).toBe(true);
    const sessionFromMigrating = await issue(old, 'frank', 'frank-1');
    await migrating.denylist.revokeSession('frank-1');
    expect(await refusedBy(old, sessionFromMigrating)).toBe(true);
    const fromOld = await issue(migrating, 'gina', 'gina-1');
    await old.denylist.revokeUser('gina');
    expect(await refusedBy(migrating, fromOld)).toBe(true);
    // An epoch bumped by the old release only is still the one a migrating process stamps and passes.
    await old.denylist.revokeUser('erin', { keepSessions: true });
    expect((await migrating.denylist.epochs('erin')).epoch).toBe(2);
    expect(await migrating.denylist.revokeUser('erin')).toBe(3);
    expect((await old.denylist.epochs('erin')).epoch).toBe(3);
    const live = await issue(migrating, 'hal', 'hal-1');

    // Every process migrates; the old one goes. Then the copy.
    await old.close();
    opened.splice(opened.indexOf(old), 1);
    const operator = await connect('cluster');
    const copied = await migrateDenylist({ client: operator, prefix, shards: SHARDS, reshardFrom: 1 });
    operator.disconnect();
    // 54 users revoked in the old layout, an epoch and a floor each (erin's floor from her third
    // revocation); 58 revocations logged there (erin's three, bob's and frank's sessions, 54 users).
    expect(copied).toMatchObject({ counters: 108, entries: 58 });
    // The migrating processes had written the epochs they revoked to both layouts already.
    expect(copied.raised).toBe(108 - 2 * 2);

    // The new layout alone: everything revoked before is refused, the live tokens are accepted.
    const fresh = await open({ shards: SHARDS });
    for (const token of [before.user, before.session, fromMigrating, sessionFromMigrating, fromOld])
      expect(await outcome(fresh.access.verify(token))).toBe('ERR_TOKEN_REVOKED');
    expect(await outcome(fresh.access.verify(before.live))).toBe('ok');
    expect(await outcome(fresh.access.verify(live))).toBe('ok');
    expect(await fresh.denylist.epochs('erin')).toEqual({ epoch: 3, sessionFloor: 3 });
    expect((await fresh.denylist.epochs('many-7')).epoch).toBe(1);
    expect(await fresh.denylist.revokeUser('ada')).toBe(2);
  });

  it('moves the origin of new shards the migration never copied (fail closed)', {
    timeout: 30_000,
  }, async () => {
    const other = newPrefix();
    const client = await connect('cluster');
    try {
      const first = await openProcess('cluster', { prefix: other });
      const token = await issue(first, 'ada', 'ada-1');
      const migrating = await openProcess('cluster', {
        prefix: other,
        extra: { shards: SHARDS, reshardFrom: 1 },
      });
      expect(await outcome(migrating.access.verify(token))).toBe('ok');
      await Promise.all([first.close(), migrating.close()]);
      // No migrateDenylist: a process of the new layout cannot trust what the copy would have brought.
      const warnings: string[] = [];
      const denylist = createDenylist({
        client,
        prefix: other,
        shards: SHARDS,
        onWarning: (m) => warnings.push(m),
      });
      await denylist.start();
      await pastTheOrigin(client, other, SHARDS);
      const access = accessTokens(denylist, Date.now);
      expect(await outcome(access.verify(token))).toBe('ERR_TOKEN_REVOKED');
      expect(warnings.filter((w) => w.includes('never copied'))).toHaveLength(SHARDS);
      const after = access.issue({ sub: 'ada', sid: 'ada-2', epoch: await denylist.epoch('ada') }).token;
      expect(await outcome(access.verify(after))).toBe('ok');
      await denylist.close();
    } finally {
      client.disconnect();
    }
  });

  it('stops at a damaged epoch key and names it (a typed error; run again once mended)', async () => {
    const other = newPrefix();
    const client = await connect('cluster');
    try {
      const key = `{${other}}:e:${sha256Name('ada')}`;
      await client.set(key, 'not a number');
      const error = await migrateDenylist({ client, prefix: other, shards: SHARDS, reshardFrom: 1 }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE', reason: 'damaged_epoch' });
      expect((error as Error).message).toContain(key);
      await client.set(key, '3');
      await expect(
        migrateDenylist({ client, prefix: other, shards: SHARDS, reshardFrom: 1 }),
      ).resolves.toMatchObject({
        counters: 1,
        raised: 1,
      });
    } finally {
      client.disconnect();
    }
  });

  it('refuses to migrate without reshardFrom', async () => {
    const client = await connect('cluster');
    await expect(migrateDenylist({ client, prefix, shards: SHARDS })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
    client.disconnect();
  });
});
