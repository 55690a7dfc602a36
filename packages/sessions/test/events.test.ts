/** Lifecycle events, anomaly signals and the policy hook. */

import type { PolicyDecision } from '@tessera/sessions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStack, outcome, type Stack } from './support/stack.js';

describe('events and anomalies', () => {
  let s: Stack;
  afterEach(() => s.close());

  it('a changed user agent or IP between rotations is signalled; allowed by default', async () => {
    s = await openStack('memory');
    const login = await s.sessions.login('u', { meta: { userAgent: 'UA/1', ip: '10.0.0.1' } });
    const same = await s.sessions.refresh(login.refreshToken, {
      meta: { userAgent: 'UA/1', ip: '10.0.0.1' },
    });
    expect(s.events.some((e) => e.type === 'session.anomaly')).toBe(false);
    const moved = await s.sessions.refresh(same.refreshToken, {
      meta: { userAgent: 'UA/1', ip: '203.0.113.9' },
    });
    expect(await outcome(s.sessions.verify(moved.accessToken.token))).toBe('ok');
    expect(s.events.find((e) => e.type === 'session.anomaly')).toMatchObject({
      sessionId: login.session.sessionId,
      changed: ['ip'],
      previous: { ip: '10.0.0.1' },
      current: { ip: '203.0.113.9' },
      decision: 'allow',
    });
  });

  it.each<[string, () => PolicyDecision | Promise<PolicyDecision>]>([
    ['returns revoke', () => 'revoke'],
    ['throws (counts as revoke)', () => Promise.reject(new Error('policy backend down'))],
  ])('a policy that %s ends the session and its access tokens at once', async (_, anomaly) => {
    s = await openStack('memory', { extra: { policy: { anomaly } } });
    const login = await s.sessions.login('u', { meta: { userAgent: 'Firefox' } });
    const error = await s.sessions
      .refresh(login.refreshToken, { meta: { userAgent: 'curl/8' } })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_SESSION_REVOKED', reason: 'policy' });
    expect(await outcome(s.sessions.verify(login.accessToken.token))).toBe('ERR_TOKEN_REVOKED');
    expect(s.events).toContainEqual(expect.objectContaining({ type: 'session.revoked', reason: 'policy' }));
  });

  it("a defender's events name the subject and the presenting client: reuse, revoked and expired tokens", async () => {
    let now = Date.now();
    s = await openStack('memory', { clock: () => now });
    const victim = await s.sessions.login('victim', { meta: { userAgent: 'Phone', ip: '10.0.0.2' } });
    const phone = { userAgent: 'Phone', ip: '10.0.0.2' };
    const next = await s.sessions.refresh(victim.refreshToken, { meta: phone });
    await s.sessions.refresh(next.refreshToken, { meta: phone });
    // The thief replays the spent token from elsewhere.
    const thief = { userAgent: 'curl/8', ip: '203.0.113.66' };
    expect(await outcome(s.sessions.refresh(victim.refreshToken, { meta: thief }))).toBe(
      'ERR_REFRESH_REUSED',
    );
    expect(s.events.find((e) => e.type === 'session.reuse_detected')).toMatchObject({
      sessionId: victim.session.sessionId,
      sub: 'victim',
      client: thief,
    });
    expect(s.events.find((e) => e.type === 'token.rejected' && e.kind === 'refresh')).toMatchObject({
      category: 'ERR_REFRESH_REUSED',
      sub: 'victim',
      client: thief,
    });
    // The victim's access token, revoked with the family, presented by the thief: named too.
    expect(await outcome(s.sessions.verify(victim.accessToken.token, { client: () => thief }))).toBe(
      'ERR_TOKEN_REVOKED',
    );
    expect(s.events.at(-1)).toMatchObject({
      type: 'token.rejected',
      kind: 'access',
      sub: 'victim',
      client: thief,
    });
    // A forged token names no subject: its claims are a forger's word.
    await outcome(s.sessions.verify(`${victim.accessToken.token.slice(0, -3)}AAA`, { client: thief }));
    const forged = s.events.at(-1);
    expect(forged).toMatchObject({ type: 'token.rejected', category: 'ERR_TOKEN_SIGNATURE', client: thief });
    expect(forged).not.toHaveProperty('sub');
    // Expired: still authentic, so named.
    now += 3600_000;
    const fresh = await s.sessions.login('late');
    now += 3600_000;
    expect(await outcome(s.sessions.verify(fresh.accessToken.token))).toBe('ERR_TOKEN_EXPIRED');
    expect(s.events.at(-1)).toMatchObject({ type: 'token.rejected', sub: 'late' });
    expect(s.events.at(-1)).not.toHaveProperty('client');
  });

  it("with eventClient 'fingerprint', events name the client by fingerprints only", async () => {
    s = await openStack('memory', { extra: { eventClient: 'fingerprint' } });
    const login = await s.sessions.login('u');
    const next = await s.sessions.refresh(login.refreshToken);
    await s.sessions.refresh(next.refreshToken);
    const thief = { userAgent: 'curl/8', ip: '203.0.113.66' };
    await outcome(s.sessions.refresh(login.refreshToken, { meta: thief }));
    const reuse = s.events.find((e) => e.type === 'session.reuse_detected');
    expect(reuse).toMatchObject({ sub: 'u', client: { ip: expect.stringMatching(/^[\w-]{12}$/) } });
    expect(JSON.stringify(s.events)).not.toContain('203.0.113.66');
    expect(JSON.stringify(s.events)).not.toContain('curl/8');
  });

  it('events never carry a token, only ids and short fingerprints', async () => {
    s = await openStack('memory');
    const secrets: string[] = [];
    const keep = <T extends { accessToken: { token: string }; refreshToken: string }>(t: T) => {
      secrets.push(t.accessToken.token, t.refreshToken);
      return t;
    };
    const a = keep(await s.sessions.login('u', { meta: { userAgent: 'A' } }));
    const b = keep(await s.sessions.refresh(a.refreshToken, { meta: { userAgent: 'B' } }));
    keep(await s.sessions.refresh(a.refreshToken));
    await s.sessions.refresh(b.refreshToken);
    // Generation 0 after generation 2 exists: reuse.
    expect(await outcome(s.sessions.refresh(a.refreshToken))).toBe('ERR_REFRESH_REUSED');
    await outcome(s.sessions.verify(`${b.accessToken.token}x`));
    await outcome(s.sessions.refresh(`${b.refreshToken}x`));
    await s.sessions.logoutEverywhere('u');
    await outcome(s.sessions.verify(b.accessToken.token));
    const types = new Set(s.events.map((e) => e.type));
    expect(types).toEqual(
      new Set([
        'session.created',
        'session.rotated',
        'session.reuse_detected',
        'session.retried',
        'session.anomaly',
        'token.rejected',
        'user.revoked',
        'session.revoked',
      ]),
    );
    const text = JSON.stringify(s.events);
    for (const secret of secrets) {
      // Not the token, nor any long part of it (JWT segments; a refresh token's nonce and MAC). The
      // 33-character session id inside a refresh token is not a secret and may appear.
      for (const part of [secret, ...secret.split('.').filter((p) => p.length >= 40)])
        expect(text).not.toContain(part);
    }
    for (const e of s.events)
      if ('fingerprint' in e) expect(e.fingerprint).toMatch(/^[A-Za-z0-9_-]{12}$|^none$/);
  });

  it('a listener that throws never breaks the operation; the error becomes a process warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    s = await openStack('memory', {
      extra: {
        events: () => {
          throw new Error('log pipeline down');
        },
      },
    });
    const login = await s.sessions.login('u');
    expect(await outcome(s.sessions.refresh(login.refreshToken))).toBe('ok');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('log pipeline down'), expect.anything());
    warn.mockRestore();
  });

  it('bad options are refused at construction with ERR_CONFIG', async () => {
    s = await openStack('memory');
    const { createSessions } = await import('@tessera/sessions');
    const base = { access: s.access, refresh: s.refresh, denylist: s.denylist };
    for (const bad of [
      {},
      { ...base, access: {} },
      { ...base, events: 'log' },
      { ...base, extra: 1 },
      { ...base, policy: { anomaly: 1 } },
    ]) {
      expect(() => createSessions(bad as never)).toThrowError(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
    }
  });
});

describe('every way a session ends emits one event shape', () => {
  it('logout, revoke, eviction, reuse, the floor, log out everywhere and a credential change', async () => {
    const s = await openStack('memory', { maxSessionsPerUser: 2 });
    try {
      const a = await s.sessions.login('ann');
      await s.sessions.logout(a.refreshToken);
      const b = await s.sessions.login('ann');
      await s.sessions.revokeSession(b.session.sessionId);
      await s.sessions.login('ann');
      await s.sessions.login('ann');
      await s.sessions.login('ann'); // evicts the oldest live one
      const c = await s.sessions.login('bea');
      const next = await s.sessions.refresh(c.refreshToken);
      await s.sessions.refresh(next.refreshToken);
      await outcome(s.sessions.refresh(c.refreshToken)); // reuse
      const d = await s.sessions.login('cal');
      await s.denylist.revokeUser('cal'); // raises the floor: the next refresh ends the session
      await outcome(s.sessions.refresh(d.refreshToken));
      await s.sessions.login('dee');
      await s.sessions.logoutEverywhere('dee');
      await s.sessions.login('eve');
      await s.sessions.credentialsChanged('eve');
      const ended = s.events.filter((e) => e.type === 'session.revoked');
      expect(ended.map((e) => (e as { reason: string }).reason).sort()).toEqual(
        [
          'credentials_changed',
          'evicted',
          'logout',
          'logout_everywhere',
          'reuse',
          'revoked',
          'user_revoked',
        ].sort(),
      );
      for (const event of ended) {
        expect(
          Object.keys(event).every((key) => ['type', 'at', 'sessionId', 'reason', 'sub'].includes(key)),
        ).toBe(true);
        expect(typeof (event as { sessionId: unknown }).sessionId).toBe('string');
      }
    } finally {
      await s.close();
    }
  });
});
