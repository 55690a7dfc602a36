/**
 * Rotations in flight together share one script call on a standalone Redis client (src/lib/batching.ts)
 * and go one by one on a Cluster. Either way, Redis runs them in the order they were made, so each
 * caller must get exactly what the rotation state machine (src/lib/rotation.ts) gives for its request
 * applied in that order: the model here. Also: a rotation that fails in the script fails alone.
 */
import type { RefreshStore, RotateOutcome, RotateRequest, SessionRecord } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../test/support/redis.js';
import { decideRotation } from '../src/lib/rotation.js';
import { newNonce, newSessionId, nonceDigest } from '../src/lib/token-format.js';
import { type Backend, NOW, openBackend, ready, standaloneClient } from './support/backends.js';

const GRACE = 10_000;
const IDLE = 60_000;

/** A session as `create` stores it, `age` ms old at NOW, at generation `generation`. */
function record(
  sub: string,
  generation: number,
  age: number,
  revoked: boolean,
  epoch?: number,
): SessionRecord {
  const createdAt = NOW - age;
  return {
    sessionId: newSessionId(sub),
    sub,
    generation,
    nonceDigest: nonceDigest(newNonce()),
    secretId: 's1',
    createdAt,
    lastUsedAt: createdAt,
    rotatedAt: createdAt,
    absoluteExpiresAt: createdAt + 5 * IDLE,
    idleExpiresAt: createdAt + IDLE,
    ...(revoked ? { revokedAt: createdAt, revokedReason: 'logout' } : {}),
    ...(epoch === undefined ? {} : { epoch }),
    meta: { userAgent: 'UA/1', ip: '10.0.0.1' },
  };
}

/** A rotation of `session`'s current generation at `now`, with its own nonce unless another is given. */
function currentRotation(session: SessionRecord, now: number, digest = session.nonceDigest): RotateRequest {
  return {
    sessionId: session.sessionId,
    generation: session.generation,
    nonceDigest: digest,
    now,
    graceMs: GRACE,
    idleTtlMs: IDLE,
  };
}

/** Thirty fresh sessions at generation 0, created in `store`. */
async function thirtySessions(store: RefreshStore): Promise<SessionRecord[]> {
  const records = Array.from({ length: 30 }, (_, n) => record(`user-${n}`, 0, 0, false));
  for (const created of records) await store.create(created, 10);
  return records;
}

const sessionArb = fc.record({
  generation: fc.integer({ min: 0, max: 4 }),
  age: fc.integer({ min: 0, max: 2 * IDLE }),
  revoked: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  epoch: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
});

const requestArb = (sessions: number) =>
  fc.record({
    session: fc.integer({ min: 0, max: sessions - 1 }),
    /** Relative to the session's generation at creation: older, previous, current, or ahead. */
    offset: fc.integer({ min: -2, max: 2 }),
    foreignNonce: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    after: fc.integer({ min: 0, max: 3 * GRACE }),
    meta: fc.option(
      fc.record(
        { userAgent: fc.constantFrom('UA/1', 'UA/2'), ip: fc.constantFrom('10.0.0.1', '10.0.0.2') },
        {
          requiredKeys: [],
        },
      ),
      { nil: undefined },
    ),
  });

describe.each(['redis', 'cluster'] as const)('rotations in flight together (%s)', (name) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await openBackend(name);
  });
  afterAll(() => backend.close());

  it('each caller gets the outcome of its own request, as if the rotations ran one by one in call order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(sessionArb, { minLength: 1, maxLength: 6 })
          .chain((sessions) =>
            fc.tuple(
              fc.constant(sessions),
              fc.array(requestArb(sessions.length), { minLength: 8, maxLength: 60 }),
            ),
          ),
        async ([sessions, requests]) => {
          const records = sessions.map((s, n) =>
            record(`user-${n}`, s.generation, s.age, s.revoked, s.epoch),
          );
          for (const created of records) await backend.store.create(created, 100);
          const model = new Map(records.map((created) => [created.sessionId, created]));

          const made: RotateRequest[] = requests.map((r) => {
            const target = records[r.session]!;
            return {
              ...currentRotation(target, NOW + r.after, r.foreignNonce ? nonceDigest(newNonce()) : undefined),
              generation: Math.max(0, target.generation + r.offset),
              ...(r.meta === undefined ? {} : { meta: r.meta }),
            };
          });
          // All made in one tick: on a standalone client they travel in batches.
          const outcomes = await Promise.all(made.map((request) => backend.store.rotate(request)));

          const expected: RotateOutcome[] = made.map((request) => {
            const { outcome, next } = decideRotation(model.get(request.sessionId), request);
            if (next !== undefined) model.set(next.sessionId, next);
            return outcome;
          });
          expect(outcomes).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('a rotation that fails in the script', () => {
  const client = standaloneClient();

  it('a record that does not decode reads as unknown (fails closed), alone: the others of its batch rotate', async () => {
    const prefix = 'batchfail';
    const store = createRedisStore({ client, prefix });
    const records = await thirtySessions(store);
    // Two sessions whose keys hold what no session layout can be: too short, and the wrong type.
    const keyOf = async (sessionId: string) => (await client.keys(`${prefix}:s:*${sessionId.slice(11)}`))[0]!;
    const short = await keyOf(records[20]!.sessionId);
    const wrongType = await keyOf(records[25]!.sessionId);
    await client.set(short, 'short', 'KEEPTTL');
    await client.del(wrongType);
    await client.hset(wrongType, 'n', 'x');

    // 30 rotations made in one tick: after the first seven (sent alone), they travel in batches of
    // 2 to 7 (see the batching test), so sessions 20 and 25 share their batches with healthy ones.
    const results = await Promise.allSettled(
      records.map((created) => store.rotate(currentRotation(created, NOW + 1))),
    );
    results.forEach((result, n) => {
      if (n === 20 || n === 25) {
        // Not a live session, never an error that would answer 503 until the key expires.
        expect(result).toEqual({ status: 'fulfilled', value: { status: 'unknown' } });
      } else {
        expect(result).toMatchObject({ status: 'fulfilled', value: { status: 'rotated' } });
      }
    });
    // Neither was rewritten: a record this version cannot read is left to the version that can.
    expect(await client.get(short)).toBe('short');
    expect(await client.type(wrongType)).toBe('hash');
    await client.del(short, wrongType);
  });

  it('fails alone after it had begun its reply: Redis out of memory refuses the write, reads still answer', async () => {
    // Its own server: the whole server refuses writes (maxmemory noeviction).
    const server = await RedisServer.start();
    const own = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      await ready(own);
      const store = createRedisStore({ client: own, prefix: 'oom' });
      const records = await thirtySessions(store);
      await own.config('SET', 'maxmemory', '1');
      // Even sessions present the current generation (a write, refused); odd ones a foreign nonce
      // (unknown: read only). In batches of 2 to 7, failures and answers alternate.
      const results = await Promise.allSettled(
        records.map((created, n) =>
          store.rotate(
            currentRotation(created, NOW + 1, n % 2 === 0 ? created.nonceDigest : nonceDigest(newNonce())),
          ),
        ),
      );
      results.forEach((result, n) => {
        if (n % 2 === 0) {
          expect(result.status).toBe('rejected');
          expect(String((result as PromiseRejectedResult).reason)).toMatch(/the rotate script failed: .*OOM/);
        } else {
          expect(result).toEqual({ status: 'fulfilled', value: { status: 'unknown' } });
        }
      });
      // Nothing was consumed: once Redis has room again, the same rotations succeed.
      await own.config('SET', 'maxmemory', '0');
      const again = await Promise.all(
        records.map((created) => store.rotate(currentRotation(created, NOW + 2))),
      );
      expect(again.every((outcome) => outcome.status === 'rotated')).toBe(true);
    } finally {
      own.disconnect();
      await server.close();
    }
  });
});
