/**
 * Races: concurrent rotations of one token (scheduled in every order with fc.scheduler on the memory
 * store, and truly parallel against Redis over several connections), and replays racing rotations.
 */
import { isTesseraError } from '@tessera/core';
import { createMemoryStore, type RefreshStore } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NOW, ready, service, testClock } from './support/backends.js';

type Settled =
  | { ok: true; token: string; generation: number; retried: boolean }
  | { ok: false; code: string };
const settle = (p: Promise<{ token: string; generation: number; retried: boolean }>): Promise<Settled> =>
  p.then(
    ({ token, generation, retried }) => ({ ok: true as const, token, generation, retried }),
    (error: unknown) => ({ ok: false as const, code: isTesseraError(error) ? error.code : String(error) }),
  );

/** Wraps every store method so the scheduler decides when each call runs. */
function scheduled(store: RefreshStore, s: fc.Scheduler): RefreshStore {
  return {
    create: s.scheduleFunction(store.create.bind(store)),
    rotate: s.scheduleFunction(store.rotate.bind(store)),
    revoke: s.scheduleFunction(store.revoke.bind(store)),
    revokeAll: s.scheduleFunction(store.revokeAll.bind(store)),
    list: s.scheduleFunction(store.list.bind(store)),
  };
}

function expectOneSuccessor(results: readonly Settled[]): void {
  const successes = results.filter((r): r is Extract<Settled, { ok: true }> => r.ok);
  expect(successes).toHaveLength(results.length); // every caller within grace succeeds
  expect(new Set(successes.map((r) => r.token)).size).toBe(1); // with the same successor
  expect(successes.every((r) => r.generation === 1)).toBe(true); // exactly one new generation
  expect(successes.filter((r) => !r.retried)).toHaveLength(1); // and exactly one real rotation
}

describe('races on the memory store (fc.scheduler: every interleaving)', () => {
  it('N concurrent rotations of one token produce exactly one new generation and one shared successor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 8 }), async (s, n) => {
        const time = testClock();
        const store = createMemoryStore({ clock: time.clock });
        const issuer = service(store, time.clock);
        const raced = service(scheduled(store, s), time.clock);
        const { token } = await issuer.issue({ sub: 'alice' });
        const pending = Array.from({ length: n }, () => settle(raced.rotate(token)));
        await s.waitAll();
        expectOneSuccessor(await Promise.all(pending));
      }),
      { numRuns: 200 },
    );
  });

  it('a replay racing a rotation never leaves a live chain behind', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const time = testClock();
        const store = createMemoryStore({ clock: time.clock });
        const direct = service(store, time.clock);
        const raced = service(scheduled(store, s), time.clock);
        const { token: t0 } = await direct.issue({ sub: 'bob' });
        const { token: t1 } = await direct.rotate(t0);
        time.now += 11_000; // t0 is now past its grace window: presenting it is theft
        const pending = [settle(raced.rotate(t1)), settle(raced.rotate(t0))];
        await s.waitAll();
        const [legit, replay] = await Promise.all(pending);
        expect(replay).toEqual({ ok: false, code: 'ERR_REFRESH_REUSED' });
        // Whatever the order, the family is dead: no token of it rotates any more.
        const survivors = [t0, t1, legit?.ok ? legit.token : t1];
        for (const t of survivors) expect((await settle(direct.rotate(t))).ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe('races against a real Redis (parallel connections)', () => {
  const clients: Redis[] = [];
  const stores: RefreshStore[] = [];
  beforeAll(async () => {
    const { port } = inject('redis').standalone;
    for (let i = 0; i < 4; i++) {
      const client = new Redis({ port, host: '127.0.0.1', enableOfflineQueue: false });
      await ready(client);
      clients.push(client);
      stores.push(createRedisStore({ client, prefix: 'race' }));
    }
  });
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });

  it('64 parallel rotations of one token over 4 connections: one new generation, one successor for all', async () => {
    const time = testClock(NOW);
    for (let round = 0; round < 20; round++) {
      const { token } = await service(stores[0]!, time.clock).issue({ sub: `race-${round}` });
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          settle(service(stores[i % stores.length]!, time.clock).rotate(token)),
        ),
      );
      expectOneSuccessor(results);
    }
  });

  it('a replay racing a rotation in parallel always ends with the family revoked', async () => {
    const time = testClock(NOW);
    for (let round = 0; round < 20; round++) {
      const a = service(stores[0]!, time.clock);
      const b = service(stores[1]!, time.clock);
      const { token: t0 } = await a.issue({ sub: `replay-${round}` });
      const { token: t1 } = await a.rotate(t0);
      time.now += 11_000;
      const [legit, replay] = await Promise.all([settle(a.rotate(t1)), settle(b.rotate(t0))]);
      expect(replay).toEqual({ ok: false, code: 'ERR_REFRESH_REUSED' });
      const next = legit?.ok ? legit.token : t1;
      expect((await settle(a.rotate(next))).ok).toBe(false);
    }
  });
});
