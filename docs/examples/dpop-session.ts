import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createDpopKey, createDpopProof } from '@tessera/client';
import { createAccessTokens, createDpopVerifier, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions, type SessionEvent } from '@tessera/sessions';

// One DPoP verifier for the token endpoint and the API: one replay cache sees every proof.
const dpop = createDpopVerifier();
const access = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
  dpop,
});
const refresh = createRefreshTokens({
  store: createMemoryStore(),
  secrets: [{ id: 'r1', secret: randomBytes(32) }],
});
const events: SessionEvent[] = [];
const sessions = createSessions({
  access,
  refresh,
  denylist: createMemoryDenylist(),
  dpop,
  events: (event) => events.push(event),
});

// The client's key (in a browser: `await loadDpopKey()`, non-extractable, kept in IndexedDB).
const key = await createDpopKey();
const TOKEN_URL = 'https://auth.example.com/token';
const atTokenEndpoint = async () => ({
  proof: await createDpopProof(key, { method: 'POST', url: TOKEN_URL }),
  method: 'POST',
  url: TOKEN_URL,
});

// Login with a proof: the session and its access tokens are bound to the key.
const login = await sessions.login('user-42', { dpop: await atTokenEndpoint() });
assert.equal(login.session.bound, true);
assert.equal(login.accessToken.claims.cnf?.jkt, key.jkt);

// Each refresh needs a proof by that key.
const next = await sessions.refresh(login.refreshToken, { dpop: await atTokenEndpoint() });

// A thief with both tokens but another key: the API refuses the access token ...
const thief = await createDpopKey();
const url = 'https://api.example.com/orders';
const stolenProof = await createDpopProof(thief, { method: 'GET', url, accessToken: next.accessToken.token });
await assert.rejects(
  sessions.verify(next.accessToken.token, { dpop: { proof: stolenProof, method: 'GET', url } }),
  {
    code: 'ERR_DPOP_PROOF',
    reason: 'key_mismatch',
  },
);
// ... and the token endpoint refuses the refresh token: a theft signal that ends the session.
const thiefAtTokenEndpoint = {
  proof: await createDpopProof(thief, { method: 'POST', url: TOKEN_URL }),
  method: 'POST',
  url: TOKEN_URL,
};
await assert.rejects(sessions.refresh(next.refreshToken, { dpop: thiefAtTokenEndpoint }), {
  code: 'ERR_DPOP_PROOF',
  reason: 'key_mismatch',
});
assert.deepEqual(
  events.filter((e) => e.type === 'session.anomaly').map((e) => e.type === 'session.anomaly' && e.changed),
  [['dpopKey']],
);
await assert.rejects(sessions.refresh(next.refreshToken, { dpop: await atTokenEndpoint() }), {
  code: 'ERR_SESSION_REVOKED',
});
