/**
 * Model-based test: arbitrary sequences of issue / rotate / replay / revoke / revokeAll / clock
 * advance, run against the real service on each store and against a small pure model; every outcome
 * must agree. Sessions are bearer or bound to one of two DPoP keys, and each presentation carries a
 * proof by either key or none.
 */
import { randomUUID } from 'node:crypto';
import { isTesseraError } from '@tessera/core';
import type { RefreshTokens } from '@tessera/refresh';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackendName,
  NOW,
  openBackend,
  service,
  type TestClock,
  testClock,
} from './support/backends.js';

const IDLE = 60_000;
const ABSOLUTE = 180_000;
const GRACE = 10_000;
const CAP = 3;
const USERS = ['u0', 'u1:{x}', 'u2\n*'];
/** Two DPoP key thumbprints. */
const KEYS = ['A'.repeat(43), 'B'.repeat(43)] as const;

interface ModelSession {
  readonly id: string;
  readonly sub: string;
  readonly createdAt: number;
  readonly absolute: number;
  generation: number;
  rotatedAt: number;
  idle: number;
  revoked: boolean;
  gone: boolean;
  /** The DPoP key the session is bound to (an index into KEYS), if bound. */
  readonly key: number | undefined;
  /** The token of each generation, as the real service returned it. */
  readonly tokens: string[];
}

interface Model {
  now: number;
  sessions: ModelSession[];
}

interface Real {
  readonly time: TestClock;
  readonly refresh: RefreshTokens;
}

type Outcome =
  | { ok: true; generation: number; retried: boolean; token: string }
  | { ok: false; code: string };

const live = (s: ModelSession, now: number) => !s.gone && !s.revoked && now < s.absolute && now < s.idle;
const ordered = (sessions: ModelSession[]) =>
  [...sessions].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The model's answer to presenting generation `generation` of session `s`. */
function modelRotate(
  model: Model,
  s: ModelSession,
  generation: number,
  proofKey: number | undefined,
): { ok: true; generation: number; retried: boolean } | { ok: false; codes: string[] } {
  const now = model.now;
  // A bound session with no proof or another key's is refused by the store before anything else
  // (but a swept record is unknown).
  if (s.gone) return { ok: false, codes: ['ERR_REFRESH_INVALID'] };
  if (s.key !== undefined && proofKey !== s.key)
    return {
      ok: false,
      codes: now >= s.absolute ? ['ERR_DPOP_PROOF', 'ERR_REFRESH_INVALID'] : ['ERR_DPOP_PROOF'],
    };
  if (s.revoked) return { ok: false, codes: ['ERR_SESSION_REVOKED'] };
  // Past the absolute expiry the memory store may already have swept the record: unknown is fine too.
  if (now >= s.absolute) return { ok: false, codes: ['ERR_REFRESH_EXPIRED', 'ERR_REFRESH_INVALID'] };
  if (now >= s.idle) return { ok: false, codes: ['ERR_REFRESH_EXPIRED'] };
  if (generation === s.generation) {
    s.generation += 1;
    s.rotatedAt = now;
    s.idle = Math.min(now + IDLE, s.absolute);
    return { ok: true, generation: s.generation, retried: false };
  }
  if (generation === s.generation - 1 && now < s.rotatedAt + GRACE)
    return { ok: true, generation: s.generation, retried: true };
  s.revoked = true;
  return { ok: false, codes: ['ERR_REFRESH_REUSED'] };
}

async function outcome(
  promise: Promise<{ generation: number; retried: boolean; token: string }>,
): Promise<Outcome> {
  try {
    const { generation, retried, token } = await promise;
    return { ok: true, generation, retried, token };
  } catch (error) {
    if (!isTesseraError(error)) throw error;
    return { ok: false, code: error.code };
  }
}

class Issue implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly key: number | undefined,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const sub = USERS[this.user]!;
    const issued = await real.refresh.issue(this.key === undefined ? { sub } : { sub, jkt: KEYS[this.key]! });
    expect(issued.session.bound).toBe(this.key !== undefined);
    const s: ModelSession = {
      id: issued.session.sessionId,
      sub,
      createdAt: model.now,
      absolute: model.now + ABSOLUTE,
      generation: 0,
      rotatedAt: model.now,
      idle: model.now + IDLE,
      revoked: false,
      gone: false,
      key: this.key,
      tokens: [issued.token],
    };
    model.sessions.push(s);
    // Creation drops the owner's dead sessions, then evicts the oldest live ones past the cap.
    const mine = ordered(model.sessions.filter((o) => o.sub === sub && !o.gone));
    for (const o of mine) if (o !== s && !live(o, model.now)) o.gone = true;
    const alive = mine.filter((o) => !o.gone);
    const evicted = alive.slice(0, Math.max(0, alive.length - CAP));
    for (const o of evicted) o.gone = true;
    expect([...issued.evicted].sort()).toEqual(evicted.map((o) => o.id).sort());
  }
  toString = () => `issue(${this.user}, key ${this.key})`;
}

/** Presents a token of a session: the current one (age 0), the previous (1) or an older one (2+). */
class Present implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly age: number,
    /** The key of the request's proof (an index into KEYS), or none; `own`: the session's. */
    readonly proof: number | 'own' | undefined,
  ) {}
  check = (model: Readonly<Model>) => model.sessions.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const s = model.sessions[this.pick % model.sessions.length]!;
    const generation = Math.max(0, s.tokens.length - 1 - this.age);
    const proofKey = this.proof === 'own' ? s.key : this.proof;
    const expected = modelRotate(model, s, generation, proofKey);
    const jkt = proofKey === undefined ? {} : { jkt: KEYS[proofKey]! };
    const actual = await outcome(real.refresh.rotate(s.tokens[generation]!, jkt));
    if (expected.ok) {
      expect(actual).toMatchObject({ ok: true, generation: expected.generation, retried: expected.retried });
      if (actual.ok) {
        if (expected.retried) expect(actual.token).toBe(s.tokens[expected.generation]);
        else s.tokens.push(actual.token);
        expect(actual.token.startsWith('rd1.')).toBe(s.key !== undefined);
      }
    } else {
      expect(actual.ok).toBe(false);
      if (!actual.ok) expect(expected.codes).toContain(actual.code);
    }
  }
  toString = () => `present(${this.pick}, age ${this.age}, proof ${this.proof})`;
}

class Revoke implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.sessions.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const s = model.sessions[this.pick % model.sessions.length]!;
    const expected = live(s, model.now);
    expect(await real.refresh.revoke(s.id, 'test')).toBe(expected);
    if (expected) s.revoked = true;
  }
  toString = () => `revoke(${this.pick})`;
}

class RevokeAll implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly keepPick: number | undefined,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const sub = USERS[this.user]!;
    const mine = model.sessions.filter((s) => s.sub === sub);
    const keep =
      this.keepPick === undefined || mine.length === 0 ? [] : [mine[this.keepPick % mine.length]!.id];
    const expected = ordered(mine.filter((s) => live(s, model.now) && !keep.includes(s.id)));
    const revoked = await real.refresh.revokeAll(sub, { except: keep, reason: 'test' });
    expect(revoked).toEqual(expected.map((s) => s.id));
    for (const s of expected) s.revoked = true;
  }
  toString = () => `revokeAll(${this.user}, keep ${this.keepPick})`;
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    model.now += this.ms;
    real.time.now += this.ms;
    // list() agrees with the model about which sessions are live.
    for (const sub of USERS) {
      const listed = (await real.refresh.list(sub)).map((s) => [s.sessionId, s.bound]);
      expect(listed).toEqual(
        ordered(model.sessions.filter((s) => s.sub === sub && live(s, model.now))).map((s) => [
          s.id,
          s.key !== undefined,
        ]),
      );
    }
  }
  toString = () => `advance(${this.ms})`;
}

const commands = [
  fc
    .tuple(fc.nat({ max: USERS.length - 1 }), fc.constantFrom(undefined, undefined, 0, 1))
    .map(([u, k]) => new Issue(u, k)),
  fc
    .tuple(
      fc.nat(),
      fc.constantFrom(0, 0, 1, 1, 2, 3),
      fc.constantFrom<number | 'own' | undefined>('own', 'own', 'own', 0, 1, undefined),
    )
    .map(([p, a, k]) => new Present(p, a, k)),
  fc.nat().map((p) => new Revoke(p)),
  fc
    .tuple(fc.nat({ max: USERS.length - 1 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([u, k]) => new RevokeAll(u, k)),
  fc
    .oneof(fc.integer({ min: 1, max: 12_000 }), fc.constantFrom(GRACE - 1, GRACE, GRACE + 1, IDLE, 1))
    .map((ms) => new Advance(ms)),
];

describe.each<BackendName>(['memory', 'redis', 'cluster'])(
  'refresh state machine against a model (%s)',
  (name) => {
    it('agrees with the model for arbitrary command sequences', async () => {
      const backend = await openBackend(name);
      try {
        await fc.assert(
          fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'max' }), async (cmds) => {
            const time = testClock(NOW);
            const refresh = service(backend.store, time.clock, {
              idleTtl: IDLE / 1000,
              absoluteTtl: ABSOLUTE / 1000,
              reuseGrace: GRACE / 1000,
              maxSessionsPerUser: CAP,
            });
            // Fresh users per run, so runs do not see each other's sessions.
            const run = randomUUID().slice(0, 8);
            USERS.splice(0, USERS.length, `u0-${run}`, `u1:{x}-${run}`, `u2\n*-${run}`);
            await fc.asyncModelRun(
              () => ({ model: { now: NOW, sessions: [] }, real: { time, refresh } }),
              cmds,
            );
          }),
          { numRuns: name === 'memory' ? 400 : 60 },
        );
      } finally {
        await backend.close();
      }
    });
  },
);
