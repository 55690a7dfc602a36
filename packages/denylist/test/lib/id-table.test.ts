/**
 * The compact view's storage (internals: imported by path): the open-addressing table agrees with a
 * Map through any sequence of sets and deletes (deletes move entries back along their probe run,
 * the part that is easy to get wrong), across growth; and the view built on it gives the verdicts of
 * a plain reference model for any revocations and tokens, the bound included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from '../../src/lib/id-table.js';
import { RevocationView } from '../../src/lib/view.js';

describe('IdTable', () => {
  it('agrees with a Map for any sets and deletes, from a small table that grows', () => {
    fc.assert(
      fc.property(
        // Long runs (fast-check's default sizes are short): probe runs collide and deletes split them.
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 }), fc.nat(1_000_000)), {
          minLength: 300,
          maxLength: 2000,
        }),
        (ops) => {
          const table = new IdTable(16);
          const model = new Map<string, number>();
          for (const [add, n, value] of ops) {
            const id = `id-${n}`;
            table.hash(1, id);
            if (add) {
              table.set(value, 1);
              model.set(id, value);
            } else {
              const slot = table.find();
              expect(slot >= 0).toBe(model.has(id));
              if (slot >= 0) table.deleteAt(slot);
              model.delete(id);
            }
            expect(table.size).toBe(model.size);
          }
          for (let n = 0; n <= 400; n++) {
            table.hash(1, `id-${n}`);
            const slot = table.find();
            expect(slot < 0 ? undefined : table.valueAt(slot)).toBe(model.get(`id-${n}`));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('deleteSource removes exactly the entries of that source alone, whatever the layout of the runs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3 })), {
          minLength: 100,
          maxLength: 1500,
        }),
        fc.integer({ min: 0, max: 3 }),
        (ops, dropped) => {
          const table = new IdTable(16);
          // The model: each id's source, or 'mixed' once set from two.
          const model = new Map<number, number | 'mixed'>();
          for (const [n, source] of ops) {
            table.hash(1, `id-${n}`);
            table.set(n, 1, source);
            const held = model.get(n);
            model.set(n, held === undefined || held === source ? source : 'mixed');
          }
          table.deleteSource(dropped);
          for (const [n, source] of model) if (source === dropped) model.delete(n);
          expect(table.size).toBe(model.size);
          for (let n = 0; n <= 300; n++) {
            table.hash(1, `id-${n}`);
            expect(table.find() >= 0).toBe(model.has(n));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('kinds are separate: a user and a session of the same id are two entries', () => {
    const table = new IdTable();
    table.hash(1, 'same');
    table.set(5, 1);
    table.hash(2, 'same');
    expect(table.find()).toBe(-1);
  });
});

/** The claims of a token issued at `iat` (seconds) to `sub`, for session `sid`, under `epoch`. */
const claimsOf = (iat: number, sub: string, sid: string, epoch: number) => ({
  iss: 'i',
  aud: 'a',
  jti: 'j',
  iat,
  exp: iat + 60,
  sub,
  epoch,
  sid,
});

const WINDOW = 60_000;
const RANGE = { windowMs: WINDOW, horizonSeconds: WINDOW / 1000 - 5 };
const T0 = 1_000_000_000_000;

describe('the compact view against a reference model', () => {
  it('same verdicts for any revocations, trims and tokens (ms times, a bound of 50 entries)', () => {
    const MAX = 50;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('user' as const),
              n: fc.nat(60),
              epoch: fc.integer({ min: 1, max: 9 }),
            }),
            fc.record({ kind: fc.constant('session' as const), n: fc.nat(60) }),
            fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(WINDOW / 2) }),
          ),
          { minLength: 50, maxLength: 300 },
        ),
        fc.array(fc.tuple(fc.nat(60), fc.integer({ min: 0, max: 10 }), fc.nat(60), fc.nat(WINDOW)), {
          minLength: 1,
          maxLength: 20,
        }),
        (events, tokens) => {
          const view = new RevocationView(RANGE, T0, MAX);
          // The reference: every revocation with its exact time, and the instant the bound was first passed.
          const users: { sub: string; epoch: number; at: number }[] = [];
          const sessions: { sid: string; at: number }[] = [];
          let now = T0;
          let overflowAt: number | undefined;
          for (const event of events) {
            if (event.kind === 'advance') {
              now += event.ms;
              view.trim(now);
              continue;
            }
            const before = view.size;
            if (event.kind === 'user') {
              // As Redis hands them out: a user's epochs rise with time (a replay repeats one exactly).
              const sub = `u${event.n}`;
              const last = users.filter((r) => r.sub === sub).at(-1);
              const replay = last !== undefined && event.epoch % 3 === 0;
              const revocation = replay ? last : { sub, epoch: (last?.epoch ?? 0) + 1, at: now };
              view.apply({ kind: 'user', ...revocation }, now);
              if (!replay) users.push(revocation);
            } else {
              view.apply({ kind: 'session', sid: `s${event.n}`, at: now }, now);
              sessions.push({ sid: `s${event.n}`, at: now });
            }
            if (before >= MAX && overflowAt === undefined) overflowAt = now;
            view.trim(now);
          }
          for (const [u, epoch, s, age] of tokens) {
            const iatMs = now - age;
            const iat = Math.ceil(iatMs / 1000);
            if (iat * 1000 < T0) continue;
            const claims = claimsOf(iat, `u${u}`, `s${s}`, epoch);
            let verdict = 'ok';
            try {
              view.check(claims, now);
            } catch (error) {
              verdict = (error as { reason: string }).reason;
            }
            // Within the window, a revocation that applies must be honoured: never 'ok'.
            const live = (at: number) => now - at < WINDOW;
            const revokedUser = users.some((r) => r.sub === claims.sub && live(r.at) && epoch < r.epoch);
            const revokedSession = sessions.some((r) => r.sid === claims.sid && live(r.at));
            if (revokedUser || revokedSession) expect(verdict).not.toBe('ok');
            // And nothing else is refused (bar the bound's fail-closed floor, and the horizon).
            if (
              !revokedUser &&
              !revokedSession &&
              overflowAt === undefined &&
              now < iat * 1000 + RANGE.horizonSeconds * 1000
            ) {
              // An entry is kept up to a second past its window (times rounded up): allow that second.
              const lateUser = users.some(
                (r) => r.sub === claims.sub && now - r.at < WINDOW + 1000 && epoch < r.epoch,
              );
              const lateSession = sessions.some((r) => r.sid === claims.sid && now - r.at < WINDOW + 1000);
              if (!lateUser && !lateSession) expect(verdict).toBe('ok');
            }
          }
          expect(view.size).toBeLessThanOrEqual(MAX);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the view over several sources (shards)', () => {
  it('judges each token by its own sources only, and the fast path agrees with the routed one', () => {
    const SOURCES = 4;
    const sourceOf = (id: string) => Number(id.slice(1)) % SOURCES;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('user' as const), n: fc.nat(40) }),
            fc.record({ kind: fc.constant('session' as const), n: fc.nat(40) }),
            fc.record({ kind: fc.constant('reset' as const), source: fc.nat(SOURCES - 1) }),
            fc.record({ kind: fc.constant('unknown' as const), source: fc.nat(SOURCES - 1) }),
            fc.record({ kind: fc.constant('advance' as const), ms: fc.nat(3000) }),
          ),
          { minLength: 20, maxLength: 150 },
        ),
        fc.array(fc.tuple(fc.nat(40), fc.nat(40), fc.nat(20_000)), { minLength: 1, maxLength: 20 }),
        fc.subarray([0, 1, 2, 3]),
        (events, tokens, staleSources) => {
          const origins = [T0, T0, T0, T0];
          const view = new RevocationView(RANGE, origins, 1000, (sub, sid) => [
            sourceOf(sub),
            ...(sid === undefined ? [] : [sourceOf(sid)]),
          ]);
          const floors = [0, 0, 0, 0];
          const epochs = new Map<string, number>();
          const revoked: { id: string; epoch: number; source: number; at: number }[] = [];
          let now = T0 + 1000;
          for (const event of events) {
            if (event.kind === 'advance') now += event.ms;
            else if (event.kind === 'reset') {
              view.reset(now, event.source);
              origins[event.source] = now;
              floors[event.source] = 0;
              for (let i = revoked.length - 1; i >= 0; i--)
                if (revoked[i]!.source === event.source) revoked.splice(i, 1);
            } else if (event.kind === 'unknown') {
              view.apply({ kind: 'unknown', at: now }, now, event.source);
              floors[event.source] = Math.max(floors[event.source]!, Math.ceil((now + 5000) / 1000));
            } else {
              const id = `${event.kind === 'user' ? 'u' : 's'}${event.n}`;
              const epoch = (epochs.get(id) ?? 0) + 1;
              epochs.set(id, epoch);
              const source = sourceOf(id);
              view.apply(
                event.kind === 'user'
                  ? { kind: 'user', sub: id, epoch, at: now }
                  : { kind: 'session', sid: id, at: now },
                now,
                source,
              );
              revoked.push({ id, epoch, source, at: now });
            }
          }
          const verdict = (run: () => void) => {
            try {
              run();
              return 'ok';
            } catch (error) {
              return (error as { reason: string }).reason;
            }
          };
          for (const [u, sIndex, age] of tokens) {
            const iat = Math.ceil((now - age) / 1000);
            const claims = claimsOf(iat, `u${u}`, `s${sIndex}`, 0);
            const fast = verdict(() => view.check(claims, now));
            // The fast path (no stale source) routes nothing; routed, with nothing stale, it must agree.
            expect(verdict(() => view.check(claims, now, () => false))).toBe(fast);
            const mine = [sourceOf(claims.sub), sourceOf(claims.sid)];
            const routed = verdict(() => view.check(claims, now, (source) => staleSources.includes(source)));
            // Source by source (the user's, then the session's): stale, an unreadable entry, the origin.
            const perSource = mine
              .map((source) =>
                staleSources.includes(source)
                  ? 'stale'
                  : iat < floors[source]!
                    ? 'unknown_entry'
                    : iat * 1000 < origins[source]!
                      ? 'origin'
                      : undefined,
              )
              .find((reason) => reason !== undefined);
            let expected = 'ok';
            if (perSource !== undefined) expected = perSource;
            else if (revoked.some((r) => r.id === claims.sub)) expected = 'user';
            else if (revoked.some((r) => r.id === claims.sid)) expected = 'session';
            else if (!(now < iat * 1000 + RANGE.horizonSeconds * 1000)) expected = 'revocation_horizon';
            expect(routed).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('IdTable hashing', () => {
  it('ids one character apart hash apart in both halves (100k sequential ids, no shared half)', () => {
    const table = new IdTable();
    const his = new Set<number>();
    const los = new Set<number>();
    for (let n = 0; n < 100_000; n++) {
      table.hash(1, `user-${n}`);
      his.add(table.hi);
      los.add(table.lo);
    }
    // 100k draws from 2^32 (2^31 for lo) collide about once by chance; more means structure.
    expect(his.size).toBeGreaterThanOrEqual(99_996);
    expect(los.size).toBeGreaterThanOrEqual(99_990);
  });
});
