import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';

// Secrets carry ids so they can rotate: the first one signs new sessions.
const refresh = createRefreshTokens({
  store: createMemoryStore(),
  secrets: [{ id: '2026-11', secret: randomBytes(32) }],
});

// Login: a new session (token family) with its first refresh token.
const login = await refresh.issue({
  sub: 'user-42',
  meta: { userAgent: 'Firefox on Linux', label: 'laptop' },
});

// Each use returns the next token; the previous one is spent.
const first = await refresh.rotate(login.token);
assert.equal(first.generation, 1);

// A lost response or a second tab: the previous token within the grace window gets the SAME successor.
const retry = await refresh.rotate(login.token);
assert.equal(retry.token, first.token);
assert.equal(retry.retried, true);

// The chain moves on...
const second = await refresh.rotate(first.token);

// ...and the original token, presented once the chain has moved past it, is proof of theft:
// the whole session is revoked.
await assert.rejects(refresh.rotate(login.token), { code: 'ERR_REFRESH_REUSED' });
await assert.rejects(refresh.rotate(second.token), { code: 'ERR_SESSION_REVOKED' });
assert.deepEqual(await refresh.list('user-42'), []);
