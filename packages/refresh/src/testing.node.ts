/**
 * `@tessera/refresh/testing`: the store contract suite, for any `RefreshStore`. A third-party store
 * proves it behaves like the memory and Redis stores with one call in a Vitest file:
 *
 * ```ts
 * import { describeRefreshStoreContract } from '@tessera/refresh/testing';
 * describeRefreshStoreContract('my store', async (clock) => {
 *   const store = createMyStore({ clock });
 *   return { store, dump: async () => JSON.stringify(await store.everything()), close: async () => {} };
 * });
 * ```
 *
 * Needs `vitest` (an optional peer dependency). The suite drives the store through
 * `createRefreshTokens` with an injected clock, starting each test at the same instant.
 * @packageDocumentation
 */
import { isTesseraError } from '@tessera/core';
import { platform } from '@tessera/core/internal';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRefreshTokens, type RefreshTokensOptions } from './create-refresh-tokens.js';
import type { RefreshStore } from './store.js';

/** A store under test, opened for one run of the suite. */
export interface StoreUnderTest {
  /** The store, created on the suite's clock. */
  readonly store: RefreshStore;
  /** Every byte the store holds, as text (the suite checks that no token is in it). */
  dump(): Promise<string>;
  /** Closes it and what it runs on. */
  close(): Promise<void>;
}

/** The suite's "now": a fixed instant, 2026-11-21T00:00:00Z. */
const NOW = Date.UTC(2026, 10, 21);
const SECOND = 1000;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isTesseraError(error) ? error.code : `foreign: ${String(error)}`;
  }
}

/**
 * Registers the contract suite for one store: issue and rotate, the grace window, reuse, lifetimes,
 * revocation, the per-user cap, listing order, secrets rotation, DPoP-bound sessions, no token in
 * the store, hostile subjects and typed refusals. `open` gets the clock the store must use.
 */
export function describeRefreshStoreContract(
  name: string,
  open: (clock: () => number) => Promise<StoreUnderTest>,
): void {
  const SECRET = platform.randomBytes(32);
  const service = (store: RefreshStore, clock: () => number, overrides: Partial<RefreshTokensOptions> = {}) =>
    createRefreshTokens({ store, secrets: [{ id: 's1', secret: SECRET }], clock, ...overrides });
  const state = { now: NOW };
  const time = {
    get now() {
      return state.now;
    },
    set now(value: number) {
      state.now = value;
    },
    clock: () => state.now,
  };
  describe(`refresh-token store contract (${name})`, () => {
    let backend: StoreUnderTest;
    // Each test starts at NOW: no test depends on how far an earlier one moved the clock.
    beforeEach(() => {
      time.now = NOW;
    });
    beforeAll(async () => {
      backend = await open(time.clock);
    });
    afterAll(async () => backend.close());
    const refresh = () => service(backend.store, time.clock);

    it('issue then rotate: each rotation returns the next generation and retires the previous token', async () => {
      const tokens = refresh();
      const issued = await tokens.issue({
        sub: 'alice',
        meta: { userAgent: 'UA/1', ip: '10.0.0.1', label: 'laptop' },
        epoch: 3,
      });
      expect(issued.token).toMatch(/^rt1\.s1\./);
      const first = await tokens.rotate(issued.token);
      expect(first).toMatchObject({
        sub: 'alice',
        sessionId: issued.session.sessionId,
        epoch: 3,
        generation: 1,
        retried: false,
      });
      const second = await tokens.rotate(first.token);
      expect(second.generation).toBe(2);
      expect(second.token).not.toBe(first.token);
    });

    it('the previous generation within the grace window gets the same successor again (retry)', async () => {
      const tokens = refresh();
      const { token } = await tokens.issue({ sub: 'bob' });
      const next = await tokens.rotate(token);
      time.now += 9 * SECOND;
      const again = await tokens.rotate(token);
      expect(again).toMatchObject({ token: next.token, generation: next.generation, retried: true });
      // The chain never forked: the successor still rotates normally.
      expect((await tokens.rotate(next.token)).generation).toBe(2);
    });

    it('the previous generation after the window is reuse: the whole session is revoked', async () => {
      const tokens = refresh();
      const { token, session } = await tokens.issue({ sub: 'carol' });
      const next = await tokens.rotate(token);
      time.now += 11 * SECOND;
      expect(await codeOf(tokens.rotate(token))).toBe('ERR_REFRESH_REUSED');
      expect(await codeOf(tokens.rotate(next.token))).toBe('ERR_SESSION_REVOKED');
      expect((await tokens.list('carol')).map((s) => s.sessionId)).not.toContain(session.sessionId);
    });

    it('the grace window ends exactly at rotation time + reuseGrace', async () => {
      const tokens = refresh();
      const a = await tokens.issue({ sub: 'grace-edge-a' });
      await tokens.rotate(a.token);
      time.now += 10 * SECOND - 1;
      expect((await tokens.rotate(a.token)).retried).toBe(true);
      const b = await tokens.issue({ sub: 'grace-edge-b' });
      await tokens.rotate(b.token);
      time.now += 10 * SECOND;
      expect(await codeOf(tokens.rotate(b.token))).toBe('ERR_REFRESH_REUSED');
    });

    it('an older generation is reuse even within the window', async () => {
      const tokens = refresh();
      const { token } = await tokens.issue({ sub: 'dave' });
      const one = await tokens.rotate(token);
      const two = await tokens.rotate(one.token);
      expect(await codeOf(tokens.rotate(token))).toBe('ERR_REFRESH_REUSED');
      expect(await codeOf(tokens.rotate(two.token))).toBe('ERR_SESSION_REVOKED');
    });

    it('idle expiry slides with use; absolute expiry is fixed at creation and never extended', async () => {
      const tokens = service(backend.store, time.clock, { idleTtl: 3600, absoluteTtl: 3 * 3600 });
      const { token, session } = await tokens.issue({ sub: 'erin' });
      let current = token;
      for (let step = 0; step < 5; step++) {
        time.now += 50 * 60 * SECOND; // within idle each time
        if (time.now >= session.absoluteExpiresAt.getTime()) {
          expect(await codeOf(tokens.rotate(current))).toBe('ERR_REFRESH_EXPIRED');
          return;
        }
        const rotated = await tokens.rotate(current);
        expect(rotated.session.absoluteExpiresAt.getTime()).toBe(session.absoluteExpiresAt.getTime());
        expect(rotated.session.expiresAt.getTime()).toBeLessThanOrEqual(session.absoluteExpiresAt.getTime());
        current = rotated.token;
      }
      throw new Error('absolute expiry never reached');
    });

    it('an idle session expires', async () => {
      const tokens = service(backend.store, time.clock, { idleTtl: 3600, absoluteTtl: 7200 });
      const { token } = await tokens.issue({ sub: 'frank' });
      time.now += 3600 * SECOND;
      const error = await tokens.rotate(token).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_REFRESH_EXPIRED', reason: 'idle_timeout' });
    });

    it('revoke and revokeAll (with except) end sessions; list shows live ones with metadata, never a token', async () => {
      const tokens = refresh();
      const a = await tokens.issue({ sub: 'gina', meta: { userAgent: 'Phone', label: 'phone' } });
      time.now += 1;
      const b = await tokens.issue({ sub: 'gina', meta: { userAgent: 'Laptop' } });
      time.now += 1;
      const c = await tokens.issue({ sub: 'gina' });
      const listed = await tokens.list('gina');
      expect(listed.map((s) => s.sessionId)).toEqual([
        a.session.sessionId,
        b.session.sessionId,
        c.session.sessionId,
      ]);
      expect(listed[0]).toMatchObject({ sub: 'gina', meta: { userAgent: 'Phone', label: 'phone' } });
      expect(JSON.stringify(listed)).not.toContain(a.token.split('.')[4]);
      expect(await tokens.revoke(a.session.sessionId, 'logout')).toBe(true);
      expect(await tokens.revoke(a.session.sessionId, 'logout')).toBe(false);
      expect(await codeOf(tokens.rotate(a.token))).toBe('ERR_SESSION_REVOKED');
      expect(
        await tokens.revokeAll('gina', { except: [c.session.sessionId], reason: 'logout-others' }),
      ).toEqual([b.session.sessionId]);
      expect(await codeOf(tokens.rotate(b.token))).toBe('ERR_SESSION_REVOKED');
      expect((await tokens.rotate(c.token)).sub).toBe('gina');
      expect((await tokens.list('gina')).map((s) => s.sessionId)).toEqual([c.session.sessionId]);
    });

    it('revoke with an owner ends only a session of that subject, in one call', async () => {
      const tokens = refresh();
      const mine = await tokens.issue({ sub: 'hana' });
      const theirs = await tokens.issue({ sub: 'ivan' });
      // Someone else's id reads as no session, and that session lives on.
      expect(await tokens.revoke(theirs.session.sessionId, 'revoked', { owner: 'hana' })).toBe(false);
      expect((await tokens.rotate(theirs.token)).sub).toBe('ivan');
      // A subject that only shares a prefix, or differs by case, owns nothing either.
      expect(await tokens.revoke(mine.session.sessionId, 'revoked', { owner: 'han' })).toBe(false);
      expect(await tokens.revoke(mine.session.sessionId, 'revoked', { owner: 'HANA' })).toBe(false);
      expect(await tokens.revoke(mine.session.sessionId, 'revoked', { owner: 'hana' })).toBe(true);
      expect(await codeOf(tokens.rotate(mine.token))).toBe('ERR_SESSION_REVOKED');
      expect(await tokens.revoke(mine.session.sessionId, 'revoked', { owner: 'hana' })).toBe(false);
      expect(await codeOf(tokens.revoke(mine.session.sessionId, 'revoked', { owner: '' }))).toBe(
        'ERR_TOKEN_CLAIMS',
      );
    });

    it('revokeAll keeps a session only when except names it whole, not just its random part', async () => {
      const tokens = refresh();
      // Subjects of its own: another test's sessions of the same user would be revoked too.
      const own = await tokens.issue({ sub: 'isla' });
      const other = await tokens.issue({ sub: 'jon' });
      // Another owner's tag in front of isla's random part: a different session id, so it keeps nothing.
      const lookalike = other.session.sessionId.slice(0, 11) + own.session.sessionId.slice(11);
      expect(await tokens.revokeAll('isla', { except: [lookalike] })).toEqual([own.session.sessionId]);
      expect(await codeOf(tokens.rotate(own.token))).toBe('ERR_SESSION_REVOKED');
      expect((await tokens.rotate(other.token)).sub).toBe('jon');
    });

    it('the per-user cap evicts the oldest session', async () => {
      const tokens = service(backend.store, time.clock, { maxSessionsPerUser: 2 });
      const first = await tokens.issue({ sub: 'hank' });
      time.now += 1;
      await tokens.issue({ sub: 'hank' });
      time.now += 1;
      const third = await tokens.issue({ sub: 'hank' });
      expect(third.evicted).toEqual([first.session.sessionId]);
      expect(await codeOf(tokens.rotate(first.token))).toBe('ERR_REFRESH_INVALID');
      expect(await tokens.list('hank')).toHaveLength(2);
    });

    it('rotation records new device metadata', async () => {
      const tokens = refresh();
      const { token } = await tokens.issue({ sub: 'ivy', meta: { userAgent: 'Old', ip: '1.1.1.1' } });
      const rotated = await tokens.rotate(token, { meta: { userAgent: 'New' } });
      expect(rotated.previousMeta).toEqual({ userAgent: 'Old', ip: '1.1.1.1' });
      expect((await tokens.list('ivy'))[0]?.meta).toEqual({ userAgent: 'New', ip: '1.1.1.1' });
      const again = await tokens.rotate(rotated.token, { meta: { label: 'laptop' } });
      expect(again.previousMeta).toEqual({ userAgent: 'New', ip: '1.1.1.1' });
      // Without meta in the request, nothing is reported (the reply stays small).
      expect((await tokens.rotate(again.token)).previousMeta).toBeUndefined();
    });

    it('rotation with empty metadata still reports the stored metadata, and changes nothing', async () => {
      const tokens = refresh();
      const { token } = await tokens.issue({ sub: 'quinn', meta: { userAgent: 'UA/9', label: 'phone' } });
      const rotated = await tokens.rotate(token, { meta: {} });
      expect(rotated.previousMeta).toEqual({ userAgent: 'UA/9', label: 'phone' });
      const again = await tokens.rotate(rotated.token, { meta: { ip: '10.1.1.1' } });
      expect(again.previousMeta).toEqual({ userAgent: 'UA/9', label: 'phone' });
      expect((await tokens.list('quinn'))[0]?.meta).toEqual({
        userAgent: 'UA/9',
        ip: '10.1.1.1',
        label: 'phone',
      });
    });

    it('a clock stepped back before the session began never undoes a revocation or a reuse', async () => {
      const tokens = refresh();
      const start = time.now;
      const revoked = await tokens.issue({ sub: 'rhea' });
      const reused = await tokens.issue({ sub: 'rhea' });
      const one = await tokens.rotate(reused.token);
      const two = await tokens.rotate(one.token);
      time.now = start - 10 * SECOND;
      expect(await tokens.revoke(revoked.session.sessionId, 'logout')).toBe(true);
      expect(await codeOf(tokens.rotate(reused.token))).toBe('ERR_REFRESH_REUSED');
      time.now = start;
      expect(await codeOf(tokens.rotate(revoked.token))).toBe('ERR_SESSION_REVOKED');
      expect(await codeOf(tokens.rotate(two.token))).toBe('ERR_SESSION_REVOKED');
      expect(await tokens.list('rhea')).toEqual([]);
    });

    it('forged tokens naming a real session are rejected and the session lives', async () => {
      const tokens = refresh();
      const { token } = await tokens.issue({ sub: 'judy' });
      const [v, kid, sid, gen, nonce, mac] = token.split('.') as [
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
      const forgeries = [
        [v, kid, sid, gen, nonce, flip(mac)],
        [v, kid, sid, '1', nonce, mac],
        [v, kid, sid, gen, flip(nonce), mac],
        [v, 'other', sid, gen, nonce, mac],
        ['rt2', kid, sid, gen, nonce, mac],
      ].map((parts) => parts.join('.'));
      forgeries.push(`${token}.x`, token.slice(0, -1), '', 'null', 'x'.repeat(10_000));
      for (const forged of forgeries) {
        expect(await codeOf(tokens.rotate(forged))).toBe('ERR_REFRESH_INVALID');
        // sessionIdOf (used by logout) authenticates the token just the same.
        expect(tokens.sessionIdOf(forged)).toBeUndefined();
      }
      expect(tokens.sessionIdOf(token)).toBe(sid);
      // The session was never touched: the genuine token still rotates (a reuse mark would make this fail).
      expect((await tokens.rotate(token)).generation).toBe(1);
    });

    it('a token made with another service secret is rejected (and so is an unknown session id)', async () => {
      const tokens = refresh();
      const { token } = await tokens.issue({ sub: 'kim' });
      const other = service(backend.store, time.clock, {
        secrets: [{ id: 's1', secret: platform.randomBytes(32) }],
      });
      expect(await codeOf(other.rotate(token))).toBe('ERR_REFRESH_INVALID');
      expect((await tokens.rotate(token)).generation).toBe(1);
    });

    it('secrets rotate: new sessions use the newest; sessions of the older secret keep working', async () => {
      const old = refresh();
      const { token } = await old.issue({ sub: 'lee' });
      const rotated = service(backend.store, time.clock, {
        secrets: [
          { id: 's2', secret: platform.randomBytes(32) },
          { id: 's1', secret: SECRET },
        ],
      });
      expect((await rotated.issue({ sub: 'lee' })).token).toMatch(/^rt1\.s2\./);
      const next = await rotated.rotate(token);
      expect(next.token).toMatch(/^rt1\.s1\./);
    });

    it('the store holds no token: no MAC, no nonce, no whole token in a dump', async () => {
      const tokens = refresh();
      const issued = await tokens.issue({ sub: 'mia', meta: { userAgent: 'x'.repeat(120) } });
      const rotated = await tokens.rotate(issued.token);
      const dump = await backend.dump();
      // The dump really holds the session: its id's random part is in it (key names and index alike).
      expect(dump).toContain(issued.session.sessionId.slice(11));
      for (const token of [issued.token, rotated.token]) {
        const parts = token.split('.');
        expect(dump).not.toContain(token);
        expect(dump).not.toContain(parts[4]); // nonce
        expect(dump).not.toContain(parts[5]); // mac
      }
    });

    it('hostile subjects: separators, braces, newlines, unicode and 10 kB strings', async () => {
      const tokens = refresh();
      for (const sub of ['a:b', '{x}', '*', 'line\nbreak', 'ユーザー', '💥', 'x'.repeat(10_000), '}{', ' ']) {
        const { token } = await tokens.issue({ sub });
        expect((await tokens.rotate(token)).sub).toBe(sub);
        expect((await tokens.list(sub)).map((s) => s.sub)).toEqual([sub]);
        expect(await tokens.revokeAll(sub)).toHaveLength(1);
      }
    });

    describe("DPoP-bound sessions (RFC 9449 section 5: a public client's refresh token needs its key)", () => {
      const KEY = 'k'.repeat(43);
      const OTHER = 'o'.repeat(43);
      const reasonOf = async (promise: Promise<unknown>) => {
        try {
          await promise;
          return 'resolved';
        } catch (error) {
          return isTesseraError(error) ? `${error.code}:${error.reason}` : `foreign: ${String(error)}`;
        }
      };

      it("only a proof by the session's key rotates it; another key, or none, changes nothing", async () => {
        const tokens = refresh();
        const issued = await tokens.issue({ sub: 'bound-ann', jkt: KEY });
        expect(issued.token).toMatch(/^rd1\.s1\./);
        expect(issued.session.bound).toBe(true);
        expect(await reasonOf(tokens.rotate(issued.token))).toBe('ERR_DPOP_PROOF:proof_required');
        expect(await reasonOf(tokens.rotate(issued.token, { jkt: OTHER }))).toBe(
          'ERR_DPOP_PROOF:key_mismatch',
        );
        expect(
          await reasonOf(tokens.rotate(issued.token, { jkt: OTHER, meta: { userAgent: 'Thief' } })),
        ).toBe('ERR_DPOP_PROOF:key_mismatch');
        // Nothing moved: the owner rotates generation 0, and the thief's user agent was not recorded.
        const next = await tokens.rotate(issued.token, { jkt: KEY, meta: { userAgent: 'UA/1' } });
        expect(next).toMatchObject({ generation: 1, retried: false, jkt: KEY });
        expect(next.previousMeta).toEqual({});
        expect(next.token).toMatch(/^rd1\./);
        // A retry within the grace window needs the key too.
        expect(await reasonOf(tokens.rotate(issued.token, { jkt: OTHER }))).toBe(
          'ERR_DPOP_PROOF:key_mismatch',
        );
        expect((await tokens.rotate(issued.token, { jkt: KEY })).retried).toBe(true);
        const listed = await tokens.list('bound-ann');
        expect(listed.map((s) => [s.bound, s.meta])).toEqual([[true, { userAgent: 'UA/1' }]]);
      });

      it('the binding survives every rewrite: new metadata, revocation, reuse', async () => {
        const tokens = refresh();
        const a = await tokens.issue({ sub: 'bound-bo', jkt: KEY, meta: { userAgent: 'UA/1' } });
        const a1 = await tokens.rotate(a.token, { jkt: KEY, meta: { userAgent: 'UA/2', ip: '10.0.0.2' } });
        expect(await reasonOf(tokens.rotate(a1.token, { jkt: OTHER }))).toBe('ERR_DPOP_PROOF:key_mismatch');
        const a2 = await tokens.rotate(a1.token, { jkt: KEY });
        expect(a2.generation).toBe(2);
        // Reuse with the key revokes the session; afterwards another key still learns nothing.
        time.now += 11 * SECOND;
        expect(await reasonOf(tokens.rotate(a.token, { jkt: KEY }))).toBe('ERR_REFRESH_REUSED:reuse');
        expect(await reasonOf(tokens.rotate(a2.token, { jkt: OTHER }))).toBe('ERR_DPOP_PROOF:key_mismatch');
        expect(await reasonOf(tokens.rotate(a2.token, { jkt: KEY }))).toBe('ERR_SESSION_REVOKED:reuse');
        const b = await tokens.issue({ sub: 'bound-bo', jkt: KEY });
        expect(await tokens.revoke(b.session.sessionId, 'logout')).toBe(true);
        expect(await reasonOf(tokens.rotate(b.token, { jkt: OTHER }))).toBe('ERR_DPOP_PROOF:key_mismatch');
        expect(await reasonOf(tokens.rotate(b.token, { jkt: KEY }))).toBe('ERR_SESSION_REVOKED:logout');
      });

      it('an unbound session rotates with or without a proof, and stays unbound', async () => {
        const tokens = refresh();
        const issued = await tokens.issue({ sub: 'bearer-cy' });
        expect(issued.session.bound).toBe(false);
        const next = await tokens.rotate(issued.token, { jkt: KEY, meta: { userAgent: 'UA/1' } });
        expect(next.jkt).toBeUndefined();
        expect(next.token).toMatch(/^rt1\./);
        expect((await tokens.rotate(next.token)).generation).toBe(2);
        expect((await tokens.list('bearer-cy')).map((s) => s.bound)).toEqual([false]);
      });

      it('refuses a malformed key thumbprint with a typed error', async () => {
        const tokens = refresh();
        const { token } = await tokens.issue({ sub: 'bound-di', jkt: KEY });
        for (const jkt of ['', 'short', `${KEY}=`, 'é'.repeat(43), 7 as unknown as string]) {
          expect(await codeOf(tokens.issue({ sub: 'bound-di', jkt }))).toBe('ERR_TOKEN_CLAIMS');
          expect(await codeOf(tokens.rotate(token, { jkt }))).toBe('ERR_TOKEN_CLAIMS');
        }
        expect((await tokens.rotate(token, { jkt: KEY })).generation).toBe(1);
      });
    });

    it('refuses bad input with typed errors', async () => {
      const tokens = refresh();
      expect(await codeOf(tokens.issue({ sub: '' }))).toBe('ERR_TOKEN_CLAIMS');
      expect(await codeOf(tokens.issue({ sub: 'x', epoch: -1 }))).toBe('ERR_TOKEN_CLAIMS');
      expect(await codeOf(tokens.rotate(undefined as unknown as string))).toBe('ERR_REFRESH_INVALID');
      expect(await tokens.revoke('not-a-session')).toBe(false);
      // Subjects and revocation reasons are bounded (the Redis layout stores them after a 2-byte length).
      expect(await codeOf(tokens.issue({ sub: 'x'.repeat(16_385) }))).toBe('ERR_TOKEN_CLAIMS');
      const { session } = await tokens.issue({ sub: 'bounded' });
      for (const reason of ['', 'r'.repeat(65), 7 as unknown as string]) {
        expect(await codeOf(tokens.revoke(session.sessionId, reason))).toBe('ERR_TOKEN_CLAIMS');
        expect(await codeOf(tokens.revokeAll('bounded', { reason }))).toBe('ERR_TOKEN_CLAIMS');
      }
      // None of the refusals touched the session.
      expect((await tokens.list('bounded')).map((s) => s.sessionId)).toEqual([session.sessionId]);
      expect(await tokens.revoke(session.sessionId, 'r'.repeat(64))).toBe(true);
    });
  });
}
