import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions, type SessionEvent } from '@tessera/sessions';

// The three parts (in memory here; see revocation.md and refresh-tokens.md for Redis).
const denylist = createMemoryDenylist();
const access = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
});
const refresh = createRefreshTokens({
  store: createMemoryStore(),
  secrets: [{ id: 'r1', secret: randomBytes(32) }],
});

const roles = new Map([['user-42', 'customer']]);
const events: SessionEvent[] = [];
const sessions = createSessions({
  access,
  refresh,
  denylist,
  // Your source of truth for claims: asked at login and at every refresh.
  claims: (sub) => ({ scope: 'orders:read', claims: { role: roles.get(sub) ?? 'customer' } }),
  events: (event) => events.push(event), // ship these to your logs: ids and fingerprints, never tokens
});

// Login (after you checked the password): always a new session.
const laptop = await sessions.login('user-42', { meta: { userAgent: 'Firefox', label: 'laptop' } });
const claims = await sessions.verify(laptop.accessToken.token, { scope: 'orders:read' });
assert.equal(claims.sid, laptop.session.sessionId);

// Refresh: a new pair; the old refresh token is spent.
const next = await sessions.refresh(laptop.refreshToken, { meta: { userAgent: 'Firefox' } });

// A privilege change: old access tokens die now, the session goes on with the new claims.
roles.set('user-42', 'admin');
await sessions.privilegesChanged('user-42');
await assert.rejects(sessions.verify(next.accessToken.token), { code: 'ERR_TOKEN_REVOKED' });
const promoted = await sessions.refresh(next.refreshToken);
assert.equal(promoted.accessToken.claims.role, 'admin');

// A password change from the laptop: the phone is out, the laptop goes on in a new session.
const phone = await sessions.login('user-42', { meta: { label: 'phone' } });
const { kept } = await sessions.credentialsChanged('user-42', { keep: promoted.session.sessionId });
await assert.rejects(sessions.verify(phone.accessToken.token), { code: 'ERR_TOKEN_REVOKED' });
await assert.rejects(sessions.refresh(phone.refreshToken));
assert.ok(kept);

// The devices page, and logout: the session and its access tokens end at once.
assert.deepEqual(
  (await sessions.list('user-42')).map((s) => s.meta.label),
  ['laptop'],
);
await sessions.logout(kept.refreshToken);
await assert.rejects(sessions.verify(kept.accessToken.token), { code: 'ERR_TOKEN_REVOKED' });

assert.ok(events.some((e) => e.type === 'user.revoked' && e.reason === 'credentials_changed'));
