/** The in-process view and the log-entry parser, alone (internals: imported by path). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toRevocation } from '../../src/lib/log-entries.js';
import { RevocationView } from '../../src/lib/view.js';

const WINDOW = 60_000;
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
const verdict = (view: RevocationView, c: ReturnType<typeof claims>) => {
  try {
    view.check(c);
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('RevocationView', () => {
  it('memory is bounded by the revocations of one window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1 }), fc.nat(WINDOW * 3)), { maxLength: 300 }),
        (events) => {
          const view = new RevocationView(WINDOW, T0);
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
          view.trim(now + WINDOW);
          expect(view.size).toBe(0);
        },
      ),
    );
  });

  it('a replayed or out-of-order user entry never lowers the epoch held', () => {
    const view = new RevocationView(WINDOW, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 3, at: T0 }, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 2, at: T0 + 1 }, T0 + 1);
    expect(verdict(view, claims('u', 2))).toBe('ERR_TOKEN_REVOKED');
    expect(verdict(view, claims('u', 3))).toBe('ok');
  });

  it('trimming an old entry keeps a later one for the same id', () => {
    const view = new RevocationView(WINDOW, T0);
    view.apply({ kind: 'session', sid: 's', at: T0 }, T0);
    view.apply({ kind: 'session', sid: 's', at: T0 + 30_000 }, T0 + 30_000);
    view.trim(T0 + WINDOW);
    expect(verdict(view, claims('u', 0, 's'))).toBe('ERR_TOKEN_REVOKED');
    view.trim(T0 + 30_000 + WINDOW);
    expect(verdict(view, claims('u', 0, 's'))).toBe('ok');
  });

  it('entries already older than the window are not taken in', () => {
    const view = new RevocationView(WINDOW, T0);
    view.apply({ kind: 'user', sub: 'u', epoch: 1, at: T0 }, T0 + WINDOW);
    expect(view.size).toBe(0);
  });

  it('reset forgets everything and rejects tokens from before the new origin', () => {
    const view = new RevocationView(WINDOW, T0);
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

  it('skips anything else, never throwing', () => {
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
      expect(toRevocation(['1-0', fields])).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), (fields) => {
        const parsed = toRevocation(['1-0', fields]);
        if (parsed !== undefined) expect(parsed.at).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
