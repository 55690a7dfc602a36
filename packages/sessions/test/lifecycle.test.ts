/**
 * The session lifecycle on every store (memory, a real Redis, a real Redis Cluster): each operation
 * of the service and what it must kill, or keep alive.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KINDS, type Kind, NOW, openStack, outcome, type Stack, testClock } from './support/stack.js';

/** How a refresh token of an ended session is refused: revoked, or unknown once its record is swept. */
const ENDED = ['ERR_SESSION_REVOKED', 'ERR_REFRESH_INVALID'];

describe.each(KINDS)('sessions lifecycle: %s', (kind: Kind) => {
  const clock = testClock();
  // Each test starts at NOW: no test depends on how far an earlier one moved the clock.
  beforeEach(() => clock.set(NOW));
  let s: Stack;
  let roles: Record<string, string> = {};
  beforeAll(async () => {
    s = await openStack(kind, {
      clock: clock.now,
      extra: { claims: (sub) => ({ scope: 'orders:read', claims: { role: roles[sub] ?? 'user' } }) },
    });
  });
  afterAll(() => s.close());
  let n = 0;
  const user = () => `user-${kind}-${++n}`;
  const verify = (token: string, scope?: string) =>
    outcome(s.sessions.verify(token, scope === undefined ? {} : { scope }));
  const refreshed = (token: string) => outcome(s.sessions.refresh(token));

  it('login always starts a new session, whose access token carries sid, epoch and auth_time', async () => {
    const sub = user();
    const first = await s.sessions.login(sub, { meta: { userAgent: 'UA/1' } });
    const second = await s.sessions.login(sub);
    expect(first.session.sessionId).not.toBe(second.session.sessionId);
    const claims = await s.sessions.verify(first.accessToken.token, { scope: 'orders:read' });
    expect(claims).toMatchObject({ sub, sid: first.session.sessionId, epoch: 0, role: 'user' });
    expect(claims.auth_time).toBe(Math.floor(clock.now() / 1000));
    expect(await verify(first.accessToken.token, 'orders:write')).toBe('ERR_TOKEN_SCOPE');
    expect(s.events).toContainEqual(
      expect.objectContaining({ type: 'session.created', sessionId: first.session.sessionId, sub }),
    );
  });

  it('login claims add to the resolved ones for the first token only', async () => {
    const sub = user();
    const { accessToken } = await s.sessions.login(sub, { claims: { amr: ['pwd'] }, scope: 'profile' });
    expect(accessToken.claims).toMatchObject({ amr: ['pwd'], role: 'user', scope: 'profile' });
  });

  it('refresh rotates the pair; a retry within the grace window gets the same successor', async () => {
    const sub = user();
    const login = await s.sessions.login(sub);
    clock.advance(1000);
    const next = await s.sessions.refresh(login.refreshToken);
    expect(next.retried).toBe(false);
    expect(next.session.sessionId).toBe(login.session.sessionId);
    expect(await verify(next.accessToken.token)).toBe('ok');
    const retry = await s.sessions.refresh(login.refreshToken);
    expect(retry).toMatchObject({ retried: true, refreshToken: next.refreshToken });
    expect(s.events.filter((e) => e.type === 'session.retried').at(-1)).toMatchObject({ sub, generation: 1 });
  });

  it('reuse: the session is revoked and every live access token of it is rejected at once', async () => {
    const sub = user();
    const login = await s.sessions.login(sub);
    const other = await s.sessions.login(sub);
    const next = await s.sessions.refresh(login.refreshToken);
    await s.sessions.refresh(next.refreshToken);
    clock.advance(11_000);
    expect(await refreshed(login.refreshToken)).toBe('ERR_REFRESH_REUSED');
    expect(await verify(login.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect(await verify(next.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect(await refreshed(next.refreshToken)).toBe('ERR_SESSION_REVOKED');
    expect(await verify(other.accessToken.token)).toBe('ok');
    const sessionId = login.session.sessionId;
    expect(s.events).toContainEqual(expect.objectContaining({ type: 'session.reuse_detected', sessionId }));
    expect(s.events).toContainEqual(
      expect.objectContaining({ type: 'session.revoked', sessionId, reason: 'reuse' }),
    );
  });

  it('logout by refresh token or by session id ends the session and its access tokens; it is idempotent', async () => {
    const sub = user();
    const a = await s.sessions.login(sub);
    const b = await s.sessions.login(sub);
    expect(await s.sessions.logout(a.refreshToken)).toBe(true);
    expect(await verify(a.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect(await refreshed(a.refreshToken)).toBe('ERR_SESSION_REVOKED');
    expect(await s.sessions.logout(a.refreshToken)).toBe(false);
    expect(await verify(b.accessToken.token)).toBe('ok');
    expect(await s.sessions.logout(b.session.sessionId)).toBe(true);
    expect(await verify(b.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect(await outcome(s.sessions.logout(`${a.refreshToken.slice(0, -2)}xx`))).toBe('ERR_REFRESH_INVALID');
    expect(await outcome(s.sessions.logout(''))).toBe('ERR_REFRESH_INVALID');
  });

  it('logoutEverywhere: every access token and every session of the user ends; others are untouched', async () => {
    const sub = user();
    const a = await s.sessions.login(sub);
    const b = await s.sessions.login(sub);
    const bystander = await s.sessions.login(user());
    const { revoked } = await s.sessions.logoutEverywhere(sub);
    expect([...revoked].sort()).toEqual([a.session.sessionId, b.session.sessionId].sort());
    for (const t of [a, b]) {
      expect(await verify(t.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
      expect(await refreshed(t.refreshToken)).toBe('ERR_SESSION_REVOKED');
    }
    expect(await s.sessions.list(sub)).toEqual([]);
    expect(await verify(bystander.accessToken.token)).toBe('ok');
    const again = await s.sessions.login(sub);
    expect(await verify(again.accessToken.token)).toBe('ok');
    expect(await refreshed(again.refreshToken)).toBe('ok');
  });

  it('a session created under an older epoch is revoked at its next refresh (one epoch increment)', async () => {
    const sub = user();
    const a = await s.sessions.login(sub);
    // An incident responder revokes the user with the denylist alone: no session record is touched.
    await s.denylist.revokeUser(sub);
    expect(await verify(a.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect(await s.sessions.list(sub)).toEqual([]);
    const error = await s.sessions.refresh(a.refreshToken).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SESSION_REVOKED', reason: 'user_revoked' });
    expect(await refreshed(a.refreshToken)).toBe('ERR_SESSION_REVOKED');
  });

  it('credentialsChanged: other devices end, every older access token dies, the device that changed goes on anew', async () => {
    const sub = user();
    const laptop = await s.sessions.login(sub, { meta: { label: 'laptop', userAgent: 'UA/laptop' } });
    const phone = await s.sessions.login(sub, { meta: { label: 'phone' } });
    const result = await s.sessions.credentialsChanged(sub, { keep: laptop.session.sessionId });
    expect(result.revoked).toContain(phone.session.sessionId);
    for (const t of [laptop, phone]) {
      expect(await verify(t.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
      // The new session's creation swept the revoked records of the user: "unknown" now, just as dead.
      expect(ENDED).toContain(await refreshed(t.refreshToken));
    }
    const kept = result.kept!;
    expect(kept.session.sessionId).not.toBe(laptop.session.sessionId);
    expect(await verify(kept.accessToken.token)).toBe('ok');
    expect(await refreshed(kept.refreshToken)).toBe('ok');
    const listed = await s.sessions.list(sub);
    expect(listed.map((x) => x.sessionId)).toEqual([kept.session.sessionId]);
    expect(listed[0]?.meta).toEqual({ label: 'laptop', userAgent: 'UA/laptop' });
  });

  it('credentialsChanged without keep ends everything; with revokeSessions false only access tokens die', async () => {
    const sub = user();
    const a = await s.sessions.login(sub);
    expect((await s.sessions.credentialsChanged(sub)).kept).toBeUndefined();
    expect(await refreshed(a.refreshToken)).toBe('ERR_SESSION_REVOKED');
    const b = await s.sessions.login(sub);
    await s.sessions.credentialsChanged(sub, { revokeSessions: false });
    expect(await verify(b.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect(await refreshed(b.refreshToken)).toBe('ok');
  });

  it('privilegesChanged: old access tokens die, the session goes on and its next token carries the new claims', async () => {
    const sub = user();
    const a = await s.sessions.login(sub);
    expect(a.accessToken.claims.role).toBe('user');
    roles[sub] = 'admin';
    await s.sessions.privilegesChanged(sub);
    expect(await verify(a.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    const next = await s.sessions.refresh(a.refreshToken);
    expect((await s.sessions.verify(next.accessToken.token)).role).toBe('admin');
    expect((await s.sessions.list(sub)).map((x) => x.sessionId)).toEqual([a.session.sessionId]);
    roles = {};
  });

  it('list and revokeSession make a devices page', async () => {
    const sub = user();
    const a = await s.sessions.login(sub, { meta: { label: 'a' } });
    clock.advance(1);
    const b = await s.sessions.login(sub, { meta: { label: 'b' } });
    expect((await s.sessions.list(sub)).map((x) => x.meta.label)).toEqual(['a', 'b']);
    expect(await s.sessions.revokeSession(a.session.sessionId)).toBe(true);
    expect(await verify(a.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
    expect((await s.sessions.list(sub)).map((x) => x.sessionId)).toEqual([b.session.sessionId]);
    expect(await s.sessions.revokeSession(a.session.sessionId)).toBe(false);
  });

  it("revokeSession with an owner leaves another user's session and its access tokens alone", async () => {
    const victim = user();
    const other = user();
    const a = await s.sessions.login(victim);
    const seen = s.events.length;
    expect(await s.sessions.revokeSession(a.session.sessionId, { owner: other })).toBe(false);
    expect((await s.sessions.verify(a.accessToken.token)).sub).toBe(victim);
    expect(s.events.slice(seen).filter((e) => e.type === 'session.revoked')).toEqual([]);
    expect(await s.sessions.revokeSession(a.session.sessionId, { owner: victim })).toBe(true);
    expect(s.events.at(-1)).toMatchObject({ type: 'session.revoked', sub: victim, reason: 'revoked' });
    expect(await verify(a.accessToken.token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('verify refuses access tokens that do not belong to a session', async () => {
    const bare = s.access.issue({ sub: user() }).token;
    expect(await verify(bare)).toBe('ERR_TOKEN_CLAIMS');
    expect(s.events.at(-1)).toMatchObject({
      type: 'token.rejected',
      kind: 'access',
      category: 'ERR_TOKEN_CLAIMS',
    });
  });
});
