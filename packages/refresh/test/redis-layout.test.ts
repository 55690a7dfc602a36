/**
 * The Redis store's binary session layout (src/lib/scripts.ts), read back from a real redis-server:
 * a rotation rewrites only the hot bytes, in place and without touching the key's expiry; metadata
 * is rewritten only when it changes; a record the layout cannot hold exactly is refused; key names
 * and the owner index hold no more than they must.
 */
import { createRedisStore } from '@tessera/refresh/redis';
import { describe, expect, it } from 'vitest';
import { HOT_RANGE as HOT, INDEX_VERSION, maxOf, RECORD_VERSION } from '../src/lib/scripts.js';
import { newSessionId } from '../src/lib/token-format.js';
import { NOW, service, standaloneClient, testClock } from './support/backends.js';

describe('Redis session layout', () => {
  const client = standaloneClient();

  async function sessionKey(prefix: string): Promise<string> {
    const keys = await client.keys(`${prefix}:s:*`);
    expect(keys).toHaveLength(1);
    return keys[0]!;
  }

  it('a rotation rewrites only the hot bytes, keeps the expiry, and rewrites metadata only when it changes', async () => {
    const time = testClock(NOW);
    const prefix = 'layout1';
    const refresh = service(createRedisStore({ client, prefix }), time.clock);
    const issued = await refresh.issue({
      sub: 'alice',
      meta: { userAgent: 'UA/1', ip: '10.0.0.1' },
      epoch: 4,
    });
    const key = await sessionKey(prefix);
    const before = (await client.getBuffer(key))!;
    const ttl = await client.pttl(key);

    time.now += 5_000;
    const rotated = await refresh.rotate(issued.token, { meta: { userAgent: 'UA/1' } });
    const after = (await client.getBuffer(key))!;
    expect(after.length).toBe(before.length);
    expect(after.subarray(0, HOT.from)).toEqual(before.subarray(0, HOT.from));
    expect(after.subarray(HOT.to)).toEqual(before.subarray(HOT.to));
    expect(after.subarray(HOT.from, HOT.to)).not.toEqual(before.subarray(HOT.from, HOT.to));
    // The expiry is the absolute lifetime's, set once at creation.
    expect(Math.abs((await client.pttl(key)) - ttl)).toBeLessThan(1_000);

    const changed = await refresh.rotate(rotated.token, { meta: { ip: '10.9.9.9' } });
    const rewritten = (await client.getBuffer(key))!;
    expect(rewritten.includes(Buffer.from('10.9.9.9'))).toBe(true);
    expect(rewritten.includes(Buffer.from('10.0.0.1'))).toBe(false);
    expect(Math.abs((await client.pttl(key)) - ttl)).toBeLessThan(1_000);
    const [listed] = await refresh.list('alice');
    expect(listed).toMatchObject({
      epoch: 4,
      meta: { userAgent: 'UA/1', ip: '10.9.9.9' },
      lastUsedAt: new Date(NOW + 5_000),
      createdAt: new Date(NOW),
    });
    expect(changed.generation).toBe(2);
  });

  it('key names: the owner tag in braces, then the random part of the session id; the index holds that part only', async () => {
    const time = testClock(NOW);
    const prefix = 'layout3';
    const refresh = service(createRedisStore({ client, prefix }), time.clock);
    const first = await refresh.issue({ sub: 'carol' });
    time.now += 1;
    const second = await refresh.issue({ sub: 'carol' });
    const tag = first.session.sessionId.slice(0, 11);
    const suffixes = [first, second].map(({ session }) => session.sessionId.slice(11));
    expect((await client.keys(`${prefix}:s:*`)).sort()).toEqual(
      suffixes.map((s) => `${prefix}:s:{${tag}}${s}`).sort(),
    );
    const owners = await client.keys(`${prefix}:u:*`);
    // The tag and 11 more characters of sha256(sub): 132 bits name the owner; the sub itself never appears.
    expect(owners).toEqual([
      expect.stringMatching(new RegExp(`^${prefix}:u:\\{${tag}\\}[A-Za-z0-9_-]{11}$`)),
    ]);
    // One string: the version character, then the random parts run together, oldest first.
    expect(await client.get(owners[0]!)).toBe(INDEX_VERSION + suffixes.join(''));
    // Every record starts with its layout's version byte.
    const record = (await client.getBuffer(`${prefix}:s:{${tag}}${suffixes[0]}`))!;
    expect(record[0]).toBe(RECORD_VERSION);
  });

  it('a new session leaves only live sessions in the index: revoked, idle-expired and evicted ones leave it with their keys', async () => {
    const time = testClock(NOW);
    const prefix = 'layout4';
    const refresh = service(createRedisStore({ client, prefix }), time.clock, {
      maxSessionsPerUser: 2,
      idleTtl: 60,
      absoluteTtl: 3600,
    });
    const suffix = (issued: { session: { sessionId: string } }) => issued.session.sessionId.slice(11);
    const index = async () => client.get((await client.keys(`${prefix}:u:*`))[0]!);
    const revoked = await refresh.issue({ sub: 'dave' });
    const idle = await refresh.issue({ sub: 'dave' });
    await refresh.revoke(revoked.session.sessionId);
    time.now += 30_000;
    const kept = await refresh.issue({ sub: 'dave' });
    expect(await index()).toBe(INDEX_VERSION + suffix(idle) + suffix(kept));
    time.now += 40_000; // idle past 60 s: its key still exists, since only the absolute lifetime sets TTLs
    const newest = await refresh.issue({ sub: 'dave' });
    expect(await index()).toBe(INDEX_VERSION + suffix(kept) + suffix(newest));
    time.now += 1;
    const last = await refresh.issue({ sub: 'dave' }); // the cap of 2 evicts kept
    expect(await index()).toBe(INDEX_VERSION + suffix(newest) + suffix(last));
    expect((await client.keys(`${prefix}:s:*`)).sort()).toEqual(
      [newest, last]
        .map((issued) => `${prefix}:s:{${issued.session.sessionId.slice(0, 11)}}${suffix(issued)}`)
        .sort(),
    );
  });

  it('refuses a record the layout cannot hold exactly, and stores nothing', async () => {
    const prefix = 'layout2';
    const store = createRedisStore({ client, prefix });
    const record = {
      sessionId: newSessionId('bob'),
      sub: 'bob',
      generation: 0,
      nonceDigest: 'n'.repeat(22),
      secretId: 's1',
      createdAt: NOW,
      lastUsedAt: NOW,
      rotatedAt: NOW,
      absoluteExpiresAt: NOW + 1_000,
      idleExpiresAt: NOW + 1_000,
      meta: {},
    };
    for (const bad of [
      { createdAt: -1 },
      { createdAt: maxOf('c') + 1 },
      { createdAt: NOW + 0.5 },
      { generation: maxOf('g') + 1 },
      { absoluteExpiresAt: NOW + maxOf('a') + 1 },
      { lastUsedAt: NOW - maxOf('u') - 1 },
      { epoch: 2 ** 53 },
      { sub: 'é'.repeat(40_000) },
      { meta: { userAgent: 'u'.repeat(70_000) } },
      { nonceDigest: 'n'.repeat(21) },
      { nonceDigest: 'n'.repeat(23) },
      { revokedAt: NOW + maxOf('v') },
    ]) {
      await expect(store.create({ ...record, ...bad }, 10)).rejects.toThrow(RangeError);
    }
    expect(await client.keys(`${prefix}:*`)).toEqual([]);
    await expect(store.revoke(record.sessionId, 'r'.repeat(70_000), NOW)).rejects.toThrow(RangeError);
    // The limits themselves are storable.
    await store.create(
      { ...record, absoluteExpiresAt: NOW + maxOf('a'), epoch: Number.MAX_SAFE_INTEGER },
      10,
    );
    const [listed] = await store.list('bob', NOW);
    expect(listed).toMatchObject({ absoluteExpiresAt: NOW + maxOf('a'), epoch: Number.MAX_SAFE_INTEGER });
  });
});
