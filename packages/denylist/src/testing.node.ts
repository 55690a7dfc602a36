/**
 * `@tessera/denylist/testing`: the denylist contract suite, for any `Denylist`. A third-party
 * denylist proves it behaves like the memory and Redis ones with one call in a Vitest file:
 *
 * ```ts
 * import { describeDenylistContract } from '@tessera/denylist/testing';
 * describeDenylistContract('my denylist', async (timing) => {
 *   const denylist = createMyDenylist(timing); // accessTtl, clockTolerance, clock
 *   await denylist.start();
 *   return { denylist, close: () => denylist.close() };
 * });
 * ```
 *
 * Needs `vitest` (an optional peer dependency). Tokens are real access tokens, verified by
 * `@tessera/core` with the denylist as its revocation check, on an injected clock.
 * @packageDocumentation
 */

import { createAccessTokens, isTesseraError } from '@tessera/core';
import { platform } from '@tessera/core/internal';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Denylist } from './types.js';

/** What the suite gives the denylist under test: use exactly these. */
export interface ContractTiming {
  /** The denylist's `accessTtl`, seconds. */
  readonly accessTtl: number;
  /** The denylist's `clockTolerance`, seconds. */
  readonly clockTolerance: number;
  /** The clock the denylist was created with (the suite moves it). */
  readonly clock: () => number;
}

/** A denylist under test, started, for one run of the suite. */
export interface DenylistUnderTest {
  /** The denylist, created on the suite's clock. */
  readonly denylist: Denylist;
  /** Closes it and what it runs on. */
  close(): Promise<void>;
}

const ACCESS_TTL = 900;
const TOLERANCE = 5;
/**
 * The suite's "now": the next whole hour plus one hour of real time. A Redis denylist stamps its
 * origin with Redis's own clock, so the injected clock must not run behind the real one.
 */
const NOW = Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;

function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) => (isTesseraError(error) ? error.code : `foreign: ${String(error)}`),
  );
}

const HOSTILE_IDS = [
  'a:b:c',
  '{tag}',
  'x}{y',
  '*',
  'line\nbreak\r\n',
  'x'.repeat(10_000),
  'ünïcødé-用户-🔑',
  ' ',
  '\u0000nul',
  'tessera:dl:{x}:e:*',
];

/**
 * Registers the contract suite for one denylist: epochs and session floors, user and session
 * revocation of real tokens, how long a revocation lasts, hostile ids, typed refusals, the origin.
 */
export function describeDenylistContract(
  name: string,
  open: (timing: ContractTiming) => Promise<DenylistUnderTest>,
): void {
  const secret = platform.randomToken(32);
  let current = NOW;
  const clock = {
    now: () => current,
    advance: (ms: number) => {
      current += ms;
    },
    set: (ms: number) => {
      current = ms;
    },
  };
  describe(`denylist contract: ${name}`, () => {
    // Each test starts at NOW: no test depends on how far an earlier one moved the clock.
    beforeEach(() => clock.set(NOW));
    let p: DenylistUnderTest & { access: ReturnType<typeof createAccessTokens> };
    beforeAll(async () => {
      const opened = await open({ accessTtl: ACCESS_TTL, clockTolerance: TOLERANCE, clock: clock.now });
      const access = createAccessTokens({
        issuer: 'https://auth.test',
        audience: 'https://api.test',
        keys: { sign: { kty: 'oct', alg: 'HS256', kid: 'k1', k: secret } },
        ttl: ACCESS_TTL,
        clockTolerance: TOLERANCE,
        revocation: opened.denylist,
        clock: clock.now,
      });
      p = { ...opened, access };
    });
    afterAll(() => p.close());

    const issue = async (sub: string, sid?: string) =>
      p.access.issue({ sub, ...(sid === undefined ? {} : { sid }), epoch: await p.denylist.epoch(sub) })
        .token;

    it('starts every user at epoch 0 and counts revocations', async () => {
      expect(await p.denylist.epoch('alice')).toBe(0);
      expect(await p.denylist.revokeUser('alice')).toBe(1);
      expect(await p.denylist.revokeUser('alice')).toBe(2);
      expect(await p.denylist.epoch('alice')).toBe(2);
    });

    it('revokeUser rejects the tokens issued before it, and only those', async () => {
      const before = await issue('bob', 'bob-laptop');
      const otherUser = await issue('carol');
      expect(await outcome(p.access.verify(before))).toBe('ok');
      await p.denylist.revokeUser('bob');
      expect(await outcome(p.access.verify(before))).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(p.access.verify(otherUser))).toBe('ok');
      const after = await issue('bob', 'bob-laptop');
      expect(await outcome(p.access.verify(after))).toBe('ok');
    });

    it('revokeUser raises the session floor with the epoch, unless sessions are kept', async () => {
      expect(await p.denylist.epochs('frank')).toEqual({ epoch: 0, sessionFloor: 0 });
      expect(await p.denylist.revokeUser('frank', { keepSessions: true })).toBe(1);
      expect(await p.denylist.epochs('frank')).toEqual({ epoch: 1, sessionFloor: 0 });
      expect(await p.denylist.revokeUser('frank')).toBe(2);
      expect(await p.denylist.epochs('frank')).toEqual({ epoch: 2, sessionFloor: 2 });
      const kept = await issue('frank', 'frank-laptop');
      expect(await p.denylist.revokeUser('frank', { keepSessions: true })).toBe(3);
      // Keeping sessions still revokes every earlier access token.
      expect(await outcome(p.access.verify(kept))).toBe('ERR_TOKEN_REVOKED');
      expect(await p.denylist.epochs('frank')).toEqual({ epoch: 3, sessionFloor: 2 });
      expect(await p.denylist.epochs('someone-else')).toEqual({ epoch: 0, sessionFloor: 0 });
    });

    it('a token without an epoch claim counts as epoch 0', async () => {
      const bare = p.access.issue({ sub: 'dave' }).token;
      expect(await outcome(p.access.verify(bare))).toBe('ok');
      await p.denylist.revokeUser('dave');
      expect(await outcome(p.access.verify(bare))).toBe('ERR_TOKEN_REVOKED');
    });

    it('revokeSession rejects the tokens of that session, and only those', async () => {
      const laptop = await issue('erin', 'erin-laptop');
      const phone = await issue('erin', 'erin-phone');
      await p.denylist.revokeSession('erin-laptop');
      expect(await outcome(p.access.verify(laptop))).toBe('ERR_TOKEN_REVOKED');
      expect(await outcome(p.access.verify(phone))).toBe('ok');
    });

    it('a session revocation lasts as long as its tokens can live, then the entry is gone', async () => {
      const token = await issue('frank', 'frank-s1');
      await p.denylist.revokeSession('frank-s1');
      // Just before the token would expire anyway, it is still rejected as revoked...
      clock.advance((ACCESS_TTL + TOLERANCE) * 1000 - 1);
      expect(await outcome(p.access.verify(token))).toBe('ERR_TOKEN_REVOKED');
      // ...and once it has expired, verify says so before asking the denylist.
      clock.advance(1);
      expect(await outcome(p.access.verify(token))).toBe('ERR_TOKEN_EXPIRED');
      clock.set(NOW);
    });

    // Checked on claims directly: a 10 kB sub and sid do not fit in one 8 KiB token.
    const claims = (sub: string, sid: string, epoch: number) => {
      const iat = Math.floor(clock.now() / 1000);
      return { iss: 'i', aud: 'a', jti: 'j', iat, exp: iat + 60, sub, sid, epoch };
    };
    const checked = (c: ReturnType<typeof claims>) =>
      outcome(Promise.resolve().then(() => p.denylist.check(c)));

    it.each(HOSTILE_IDS.map((id) => [JSON.stringify(id).slice(0, 40), id]))(
      'hostile id %s is revoked exactly (user and session)',
      async (_, id) => {
        const epoch = await p.denylist.epoch(id);
        expect(await checked(claims(id, 's', epoch))).toBe('ok');
        expect(await p.denylist.revokeUser(id)).toBe(epoch + 1);
        expect(await checked(claims(id, 's', epoch))).toBe('ERR_TOKEN_REVOKED');
        expect(await checked(claims(id, 's', epoch + 1))).toBe('ok');
        expect(await checked(claims(`${id}x`, 's', 0))).toBe('ok');
        await p.denylist.revokeSession(id);
        expect(await checked(claims('someone', id, 0))).toBe('ERR_TOKEN_REVOKED');
        expect(await checked(claims('someone', `${id}x`, 0))).toBe('ok');
        expect(await checked(claims('someone', [...id].slice(0, -1).join('') || 'y', 0))).toBe('ok');
      },
    );

    it('rejects ids that cannot be revoked exactly (empty, lone surrogates, not a string, too long)', async () => {
      for (const bad of ['', '\uD800', 'a\uDC00b', 'x'.repeat(16_385), 42, null]) {
        expect(await outcome(p.denylist.revokeUser(bad as string))).toBe('ERR_TOKEN_CLAIMS');
        expect(await outcome(p.denylist.revokeSession(bad as string))).toBe('ERR_TOKEN_CLAIMS');
        expect(await outcome(p.denylist.epoch(bad as string))).toBe('ERR_TOKEN_CLAIMS');
        expect(await outcome(p.denylist.epochs(bad as string))).toBe('ERR_TOKEN_CLAIMS');
      }
      // Two lone surrogates would both become U+FFFD in UTF-8: a token naming one is refused outright.
      const token = p.access.issue({ sub: '\uD800' }).token;
      expect(await outcome(p.access.verify(token))).toBe('ERR_TOKEN_CLAIMS');
    });

    it('rejects tokens issued before the denylist data began', () => {
      // In memory the data begins at the denylist's creation (the test clock's NOW); on Redis at
      // Redis's own time (real time, behind the tests' clock). Three hours before both is older.
      const iat = Math.floor(Math.min(NOW, Date.now()) / 1000) - 3 * 3600;
      const claims = { iss: 'i', sub: 'gina', aud: 'a', jti: 'j', iat, exp: iat + 900 };
      expect(() => p.denylist.check(claims)).toThrowError(
        expect.objectContaining({ code: 'ERR_TOKEN_REVOKED', reason: 'origin' }),
      );
    });
  });
}
