/** The in-process view and the log-entry parser, alone (internals: imported by path). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toRevocation } from '../../src/lib/log-entries.js';
import { RevocationView } from '../../src/lib/view.js';

const WINDOW = 60_000;
/** Retention and horizon; checks below run at T0 (well inside the horizon) unless they say otherwise. */
const RANGE = { windowMs: WINDOW, horizonSeconds: WINDOW / 1000 - 5 };
const T0 = 1_000_000_000_000;
const claims = (sub: string, epoch: number, sid?: string) => ({
  iss: 'i',
  aud: 'a',
  jti: 'j',
  iat: T0 / 1000,
  exp: T0 / 1000 + 60,
  sub,
  epoch,
  ...(sid === undefined ? {} : { sid }),
});
const verdict = (view: RevocationView, c: ReturnType<typeof claims>, now = T0) => {
  try {
    view.check(c, now);
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('RevocationView', () => {
  it('vouches for a token only up to iat + horizon, whatever its exp says (ERR_TOKEN_EXPIRED)', () => {
    const view = new RevocationView(RANGE, T0);
    const horizonMs = RANGE.horizonSeconds * 1000;
    // A token that claims a whole day of life, as a verifier with a longer ttl would accept it.
    const long = { ...claims('u', 0), exp: T0 / 1000 + 86_400 };
    expect(verdict(view, long, T0 + horizonMs - 1)).toBe('ok');
    expect(verdict(view, long, T0 + horizonMs)).toBe('ERR_TOKEN_EXPIRED');
    expect(verdict(view, long, T0 + 10 * horizonMs)).toBe('ERR_TOKEN_EXPIRED');
  });

  it('memory is bounded by the revocations of one window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1 }), fc.nat(WINDOW * 3)), { maxLength: 300 }),
        (events) => {
          const view = new RevocationView(RANGE, T0);
          let now = T0;
          for (const [isUser, id, step] of events) {
            now += step;
            if (isUser) view.apply({ kind: 'user', sub: id, epoch: 1 + (step % 5), at: now }, now);
            else view.apply({ kind: 'session', sid: id, at: now }, now);
            view.trim(now);
          }
          // Everything older than the window is gone: only what arrived within it may remain.
          const recent = events.length;
          expect(view.size).toBeLessThanOrEqual(recent);
          // Times are held in whole seconds, rounded up: dropped at most a second late, never early.
          view.apply({ kind: 'session', sid: '\u0000last', at: now }, now);
          view.trim(now + WINDOW - 1);
          expect(view.size).toBeGreaterThan(0);
          view.trim(now + WINDOW + 1000);
          expect(view.size).toBe(0);
        },
      ),
    );
  });

  it('a replayed or out-of-order user entry never lowers the epoch held', () => {
    const view = new RevocationView(RANGE, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 3, at: T0 }, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 2, at: T0 + 1 }, T0 + 1);
    expect(verdict(view, claims('u', 2))).toBe('ERR_TOKEN_REVOKED');
    expect(verdict(view, claims('u', 3))).toBe('ok');
  });

  it('trimming an old entry keeps a later one for the same id', () => {
    const view = new RevocationView(RANGE, T0);
    view.apply({ kind: 'session', sid: 's', at: T0 }, T0);
    view.apply({ kind: 'session', sid: 's', at: T0 + 30_000 }, T0 + 30_000);
    view.trim(T0 + WINDOW);
    expect(verdict(view, claims('u', 0, 's'))).toBe('ERR_TOKEN_REVOKED');
    view.trim(T0 + 30_000 + WINDOW);
    expect(verdict(view, claims('u', 0, 's'))).toBe('ok');
  });

  it('entries already older than the window are not taken in', () => {
    const view = new RevocationView(RANGE, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 1, at: T0 }, T0 + WINDOW);
    expect(view.size).toBe(0);
  });

  it('reset forgets everything and rejects tokens from before the new origin', () => {
    const view = new RevocationView(RANGE, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 1, at: T0 }, T0);
    view.reset(T0 + 5000);
    expect(view.size).toBe(0);
    expect(verdict(view, claims('other', 0))).toBe('ERR_TOKEN_REVOKED');
  });
});

describe('log entries', () => {
  it('parses what the scripts write', () => {
    expect(toRevocation(['1-0', ['u', '1700000000000:4:a:b{c}\n']])).toEqual({
      kind: 'user',
      sub: 'a:b{c}\n',
      epoch: 4,
      at: 1700000000000,
    });
    expect(toRevocation(['1-0', ['s', '1700000000000:sid:x']])).toEqual({
      kind: 'session',
      sid: 'sid:x',
      at: 1700000000000,
    });
  });

  it('reads anything else as an unknown revocation at its stream time (fails closed), never throwing', () => {
    for (const fields of [
      [],
      ['u'],
      ['u', ''],
      ['u', '1:0:x'],
      ['u', 'x:1:y'],
      ['u', '1:1:'],
      ['s', '1:'],
      ['t', '1:x'],
      ['u', '1:1:\uD800'],
    ]) {
      expect(toRevocation(['1-0', fields])).toEqual({ kind: 'unknown', at: 1 });
    }
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), (fields) => {
        const parsed = toRevocation(['1-0', fields]);
        expect(parsed).toBeDefined();
        expect(parsed!.at).toBeGreaterThanOrEqual(0);
      }),
    );
    // Only an entry whose own stream id is unreadable (Redis never writes one) is passed over.
    expect(toRevocation(['not-an-id', ['x', 'y']])).toBeUndefined();
  });

  it('versioned entries (u1, s1) and the earlier unversioned ones (u, s) read alike', () => {
    expect(toRevocation(['5-0', ['u1', '1700000000000:3:ada']])).toEqual(
      toRevocation(['5-0', ['u', '1700000000000:3:ada']]),
    );
    expect(toRevocation(['5-0', ['s1', '1700000000000:sid']])).toEqual({
      kind: 'session',
      sid: 'sid',
      at: 1700000000000,
    });
    expect(toRevocation(['5-0', ['u2', '1700000000000:3:ada']])).toEqual({ kind: 'unknown', at: 5 });
  });

  it('an unknown entry rejects every token issued before it (plus the margin), and none after', () => {
    const view = new RevocationView(RANGE, T0);
    const at = T0 + 10_000;
    view.apply({ kind: 'unknown', at }, at);
    const margin = RANGE.windowMs - RANGE.horizonSeconds * 1000;
    const issuedAt = (ms: number) => ({ ...claims('u', 0), iat: Math.floor(ms / 1000) });
    expect(verdict(view, issuedAt(at - 1000), at)).toBe('ERR_TOKEN_REVOKED');
    expect(verdict(view, issuedAt(at + margin - 1000), at)).toBe('ERR_TOKEN_REVOKED');
    expect(verdict(view, issuedAt(at + margin), at + margin)).toBe('ok');
  });
});
