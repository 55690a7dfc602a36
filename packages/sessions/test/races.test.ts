/**
 * Races between a session's own requests and a user-wide revocation, explored with fast-check's
 * scheduler: every await inside the service (each store and denylist call) is a point where another
 * operation may run. Whatever the interleaving, nothing obtained before "log out everywhere"
 * resolved may work after it.
 */
import { randomBytes } from 'node:crypto';
import { createAccessTokens } from '@tessera/core';
import { createMemoryDenylist, type Denylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens, type RefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { outcome } from './support/stack.js';

const KEY = { kty: 'oct', alg: 'HS256', kid: 'k', k: randomBytes(32).toString('base64url') } as const;

/** Wraps every method of a service so that the scheduler decides when each call resolves. */
function scheduled<T extends object>(s: fc.Scheduler, service: T, sync: readonly string[] = []): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(service)) {
    wrapped[name] =
      typeof value === 'function' && !sync.includes(name)
        ? s.scheduleFunction((...args: unknown[]) =>
            (value as (...a: unknown[]) => Promise<unknown>)(...args),
          )
        : value;
  }
  return wrapped as T;
}

function build(s: fc.Scheduler) {
  const denylist = createMemoryDenylist();
  const refresh = createRefreshTokens({
    store: createMemoryStore(),
    secrets: [{ id: 's', secret: randomBytes(32) }],
  });
  const access = createAccessTokens({ issuer: 'i', audience: 'a', keys: { sign: KEY } });
  const sessions = createSessions({
    access,
    refresh: scheduled<RefreshTokens>(s, refresh, ['sessionIdOf']),
    denylist: scheduled<Denylist>(s, denylist, ['check']),
  });
  // Verification after the race runs on unscheduled services.
  const judge = createSessions({ access, refresh, denylist });
  return { sessions, judge, denylist, refresh };
}

describe('races with a user-wide revocation', () => {
  it('no access or refresh token obtained around logoutEverywhere survives it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 0, max: 3 }), async (s, extraLogins) => {
        const unscheduled = build(s);
        // A session that exists before the race (set up without the scheduler getting in the way).
        const before = await unscheduled.judge.login('u');
        const { sessions, judge } = unscheduled;
        const obtained: { access: string; refresh: string }[] = [before].map((t) => ({
          access: t.accessToken.token,
          refresh: t.refreshToken,
        }));
        const keep = (p: Promise<{ accessToken: { token: string }; refreshToken: string }>) =>
          p.then(
            (t) => void obtained.push({ access: t.accessToken.token, refresh: t.refreshToken }),
            () => {},
          );
        const racers = [
          keep(sessions.refresh(before.refreshToken)),
          ...Array.from({ length: extraLogins }, () => keep(sessions.login('u'))),
          sessions.logoutEverywhere('u'),
        ];
        await s.waitFor(Promise.all(racers));
        for (const t of obtained) {
          expect(await outcome(judge.verify(t.access))).toBe('ERR_TOKEN_REVOKED');
          expect(['ERR_SESSION_REVOKED', 'ERR_REFRESH_INVALID', 'ERR_REFRESH_REUSED']).toContain(
            await outcome(judge.refresh(t.refresh)),
          );
        }
        expect(await judge.list('u')).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('a login starting at any step of logoutEverywhere gets tokens that live or die together', async () => {
    // The shrunk counterexample before the fix: the login read the new epoch while the bump was
    // landing, created its session before revokeAll, and revokeAll ended that session while its
    // access token (stamped with the new epoch) lived on.
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 1, max: 3 }), async (s, logins) => {
        const { sessions, judge } = build(s);
        await judge.login('u');
        const obtained: { access: string; refresh: string }[] = [];
        const late = Array.from({ length: logins }, () =>
          s
            .schedule(Promise.resolve(), 'login starts')
            .then(() => sessions.login('u'))
            .then((t) => void obtained.push({ access: t.accessToken.token, refresh: t.refreshToken })),
        );
        await s.waitFor(Promise.all([...late, sessions.logoutEverywhere('u')]));
        for (const t of obtained) {
          const accessLives = (await outcome(judge.verify(t.access))) === 'ok';
          const sessionLives = (await outcome(judge.refresh(t.refresh))) === 'ok';
          expect({ accessLives, sessionLives }).toEqual({ accessLives: sessionLives, sessionLives });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a refresh racing privilegesChanged yields a token that either dies or carries the new epoch', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const { sessions, judge, denylist } = build(s);
        const before = await judge.login('u');
        let token: string | undefined;
        await s.waitFor(
          Promise.all([
            sessions.refresh(before.refreshToken).then((t) => {
              token = t.accessToken.token;
            }),
            sessions.privilegesChanged('u'),
          ]),
        );
        expect(await outcome(judge.verify(before.accessToken.token))).toBe('ERR_TOKEN_REVOKED');
        // The session itself always survives a privilege change.
        expect(token).toBeDefined();
        const claims = await judge.verify(token!).catch(() => undefined);
        if (claims !== undefined) expect(claims.epoch).toBe(await denylist.epoch('u'));
      }),
      { numRuns: 100 },
    );
  });
});
