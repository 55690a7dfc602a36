/**
 * Stored data carries a version, and what does not decode fails closed: hand-made records and owner
 * indexes on a real redis-server (another version, truncated, random bytes, a key of another type),
 * and a token of a generation ahead of the store (rotations lost with Redis data) on every store.
 */
import { isTesseraError } from '@tessera/core';
import { createRedisStore } from '@tessera/refresh/redis';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOUND_RECORD_VERSION, INDEX_VERSION, RECORD_VERSION } from '../src/lib/scripts.js';
import { BACKENDS, NOW, openBackend, service, standaloneClient, testClock } from './support/backends.js';

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (error: unknown) =>
      isTesseraError(error)
        ? `${error.code}${error.reason ? `:${error.reason}` : ''}`
        : `foreign: ${String(error)}`,
  );

describe('a stored record or index this version cannot read', () => {
  const client = standaloneClient();

  async function oneSession(prefix: string, sub: string, jkt?: string) {
    const time = testClock(NOW);
    const refresh = service(createRedisStore({ client, prefix }), time.clock);
    const issued = await refresh.issue({
      sub,
      meta: { userAgent: 'UA/1' },
      ...(jkt === undefined ? {} : { jkt }),
    });
    const [key] = await client.keys(`${prefix}:s:*`);
    const [index] = await client.keys(`${prefix}:u:*`);
    return { time, refresh, issued, key: key!, index: index! };
  }

  const JKT = 'K'.repeat(43);
  const relabel = (version: number) => (raw: Buffer) =>
    Buffer.concat([Buffer.from([version]), raw.subarray(1)]);
  it.each([
    ['another version', relabel(BOUND_RECORD_VERSION + 1), false],
    ['version 0 (before versions)', relabel(0), false],
    ['truncated in the fixed part', (raw: Buffer) => raw.subarray(0, 30), false],
    ['truncated in the tail', (raw: Buffer) => raw.subarray(0, raw.length - 3), false],
    ['empty', () => Buffer.alloc(0), false],
    ['bytes left over', (raw: Buffer) => Buffer.concat([raw, Buffer.from('x')]), false],
    // The DPoP key of a bound record (version 2) is the layout's last field: never lost quietly.
    ['the bound version without its key', relabel(BOUND_RECORD_VERSION), false],
    ['a bound session cut before its key', (raw: Buffer) => raw.subarray(0, raw.length - 44), true],
    [
      'a bound session with an empty key',
      (raw: Buffer) => Buffer.concat([raw.subarray(0, raw.length - 44), Buffer.from([0])]),
      true,
    ],
    ['a bound session relabelled unbound', relabel(RECORD_VERSION), true],
  ] as const)(
    'a record of %s reads as no session: unknown, unlisted, left as it is',
    async (name, damage, bound) => {
      const prefix = `ver-${name.replace(/\W+/g, '-')}`;
      const jkt = bound ? { jkt: JKT } : {};
      const { refresh, issued, key } = await oneSession(prefix, 'ada', bound ? JKT : undefined);
      const stored = (await client.getBuffer(key))!;
      expect(stored[0]).toBe(bound ? BOUND_RECORD_VERSION : RECORD_VERSION);
      const damaged = damage(stored);
      await client.set(key, damaged, 'KEEPTTL');
      expect(await code(refresh.rotate(issued.token, jkt))).toBe('ERR_REFRESH_INVALID:unknown_session');
      expect(await code(refresh.rotate(issued.token, { meta: { userAgent: 'UA/2' }, ...jkt }))).toBe(
        'ERR_REFRESH_INVALID:unknown_session',
      );
      expect(await refresh.list('ada')).toEqual([]);
      expect(await refresh.revoke(issued.session.sessionId)).toBe(false);
      // A new login for the same user works, and keeps the unreadable one listed for its own version.
      const next = await refresh.issue({ sub: 'ada' });
      expect((await refresh.list('ada')).map((s) => s.sessionId)).toEqual([next.session.sessionId]);
      expect((await client.getBuffer(key))!.equals(damaged)).toBe(true);
      // Log out everywhere deletes it (its token then names no session) and reports it.
      expect([...(await refresh.revokeAll('ada'))].sort()).toEqual(
        [issued.session.sessionId, next.session.sessionId].sort(),
      );
      expect(await client.exists(key)).toBe(0);
    },
  );

  it('random bytes in place of a record never rotate and never throw (property)', async () => {
    const { refresh, issued, key } = await oneSession('ver-random', 'bob');
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        await client.set(key, Buffer.from(bytes), 'KEEPTTL');
        expect(await code(refresh.rotate(issued.token))).toBe('ERR_REFRESH_INVALID:unknown_session');
        expect(await refresh.list('bob')).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('an owner index of another version is refused loudly and left as it is; a legacy one still reads', async () => {
    const { refresh, issued, index } = await oneSession('ver-index', 'carol');
    const suffix = issued.session.sessionId.slice(11);
    expect(await client.get(index)).toBe(INDEX_VERSION + suffix);
    // Written before the index carried a version: the suffixes alone.
    await client.set(index, suffix, 'KEEPTTL');
    expect((await refresh.list('carol')).map((s) => s.sessionId)).toEqual([issued.session.sessionId]);
    await client.set(index, `9${suffix}`, 'KEEPTTL');
    expect(await code(refresh.list('carol'))).toBe('ERR_UNAVAILABLE:store');
    expect(await code(refresh.issue({ sub: 'carol' }))).toBe('ERR_UNAVAILABLE:store');
    expect(await code(refresh.revokeAll('carol'))).toBe('ERR_UNAVAILABLE:store');
    expect(await client.get(index)).toBe(`9${suffix}`);
    // The session itself is untouched and still rotates.
    expect((await refresh.rotate(issued.token)).generation).toBe(1);
    const error = await refresh.list('carol').catch((e: unknown) => e as Error);
    expect(String((error as Error).cause)).toMatch(/owner index does not read/);
  });
});

describe.each(BACKENDS)('a token of a generation ahead of the store: %s', (name) => {
  it('ends the session (ERR_SESSION_REVOKED, reason store_behind), never as reuse', async () => {
    const time = testClock(NOW);
    const backend = await openBackend(name, time.clock);
    const refresh = service(backend.store, time.clock);
    try {
      const issued = await refresh.issue({ sub: 'dana' });
      const first = await refresh.rotate(issued.token);
      const second = await refresh.rotate(first.token);
      // The store loses the last rotation: a second store whose record stands at generation 1.
      const lost = await openBackend(name, time.clock);
      const behind = service(lost.store, time.clock);
      try {
        const record = { ...(await recordOf(backend, issued.session.sessionId)), generation: 1 };
        await lost.store.create(record, 50);
        time.now += 60_000;
        expect(await code(behind.rotate(second.token))).toBe('ERR_SESSION_REVOKED:store_behind');
        // The session is over for every token of it, the older ones included.
        expect(await code(behind.rotate(first.token))).toBe('ERR_SESSION_REVOKED:store_behind');
        expect(await behind.list('dana')).toEqual([]);
      } finally {
        await lost.close();
      }
    } finally {
      await backend.close();
    }
  });
});

/** The stored record of a session, as `list` reports it with what `create` needs. */
async function recordOf(backend: Awaited<ReturnType<typeof openBackend>>, sessionId: string) {
  const [listed] = await backend.store.list('dana', NOW + 1);
  expect(listed?.sessionId).toBe(sessionId);
  return listed!;
}
