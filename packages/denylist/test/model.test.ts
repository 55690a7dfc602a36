/**
 * Model-based test: any interleaving of issue / revokeUser / revokeSession / clock advance / verify,
 * against a small pure model of what a live token is, on every denylist. The model is the intended
 * meaning, with no windows or trimming: a token is live iff it has not expired, its epoch is the
 * user's current one, and its session was never revoked. (Sessions are not issued tokens after their
 * revocation, as in the real flow: a revoked session can no longer refresh.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACCESS_TTL,
  KINDS,
  type Kind,
  NOW,
  openProcess,
  outcome,
  type Process,
  TOLERANCE,
  testClock,
} from './support/harness.js';

const USERS = ['ann', 'ben', 'a:b{c}*'];
const SESSIONS = ['s1', 's2', 's3', 's\n4'];

interface Model {
  readonly epochs: Map<string, number>;
  readonly revokedSessions: Set<string>;
  readonly tokens: { token: string; sub: string; sid: string; epoch: number; expMs: number }[];
}

interface Real {
  readonly p: Process;
  readonly clock: ReturnType<typeof testClock>;
}

class Issue implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly session: number,
  ) {}
  check(m: Readonly<Model>) {
    return !m.revokedSessions.has(SESSIONS[this.session]!);
  }
  async run(m: Model, r: Real) {
    const sub = USERS[this.user]!;
    const sid = SESSIONS[this.session]!;
    const epoch = await r.p.denylist.epoch(sub);
    expect(epoch).toBe(m.epochs.get(sub) ?? 0);
    const issued = r.p.access.issue({ sub, sid, epoch });
    m.tokens.push({ token: issued.token, sub, sid, epoch, expMs: issued.expiresAt * 1000 });
  }
  toString() {
    return `issue(${USERS[this.user]}, ${JSON.stringify(SESSIONS[this.session])})`;
  }
}

class RevokeUser implements fc.AsyncCommand<Model, Real> {
  constructor(readonly user: number) {}
  check() {
    return true;
  }
  async run(m: Model, r: Real) {
    const sub = USERS[this.user]!;
    const next = (m.epochs.get(sub) ?? 0) + 1;
    m.epochs.set(sub, next);
    expect(await r.p.denylist.revokeUser(sub)).toBe(next);
  }
  toString() {
    return `revokeUser(${USERS[this.user]})`;
  }
}

class RevokeSession implements fc.AsyncCommand<Model, Real> {
  constructor(readonly session: number) {}
  check() {
    return true;
  }
  async run(m: Model, r: Real) {
    const sid = SESSIONS[this.session]!;
    m.revokedSessions.add(sid);
    await r.p.denylist.revokeSession(sid);
  }
  toString() {
    return `revokeSession(${JSON.stringify(SESSIONS[this.session])})`;
  }
}

class Advance implements fc.AsyncCommand<Model, Real> {
  constructor(readonly ms: number) {}
  check() {
    return true;
  }
  async run(_: Model, r: Real) {
    r.clock.advance(this.ms);
  }
  toString() {
    return `advance(${this.ms})`;
  }
}

class Verify implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check(m: Readonly<Model>) {
    return m.tokens.length > 0;
  }
  async run(m: Model, r: Real) {
    const t = m.tokens[this.index % m.tokens.length]!;
    const now = r.clock.now();
    const expected =
      now >= t.expMs + TOLERANCE * 1000
        ? 'ERR_TOKEN_EXPIRED'
        : t.epoch < (m.epochs.get(t.sub) ?? 0) || m.revokedSessions.has(t.sid)
          ? 'ERR_TOKEN_REVOKED'
          : 'ok';
    expect(await outcome(r.p.access.verify(t.token))).toBe(expected);
  }
  toString() {
    return `verify(#${this.index})`;
  }
}

const commands = [
  fc.tuple(fc.nat(USERS.length - 1), fc.nat(SESSIONS.length - 1)).map(([u, s]) => new Issue(u, s)),
  fc.nat(USERS.length - 1).map((u) => new RevokeUser(u)),
  fc.nat(SESSIONS.length - 1).map((s) => new RevokeSession(s)),
  // Small steps, and steps across the whole window and beyond it.
  fc
    .oneof(
      fc.integer({ min: 0, max: 5_000 }),
      fc.integer({ min: 0, max: (ACCESS_TTL + TOLERANCE + 30) * 1000 }),
    )
    .map((ms) => new Advance(ms)),
  fc.nat(50).map((i) => new Verify(i)),
  fc.nat(50).map((i) => new Verify(i)),
];

const RUNS: Record<Kind, number> = { memory: 300, redis: 60, cluster: 30 };

describe.each(KINDS)('model: %s', (kind) => {
  it('accepts a token iff the model says it is live', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { size: 'max', maxCommands: 60 }), async (cmds) => {
        const clock = testClock(NOW);
        const p = await openProcess(kind, { clock: clock.now });
        try {
          await fc.asyncModelRun(
            () => ({
              model: { epochs: new Map<string, number>(), revokedSessions: new Set<string>(), tokens: [] },
              real: { p, clock },
            }),
            cmds,
          );
        } finally {
          await p.close();
        }
      }),
      { numRuns: RUNS[kind] },
    );
  });
});
