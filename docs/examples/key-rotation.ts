import assert from 'node:assert/strict';
import { createAccessTokens, generateSigningKey, type Jwk } from '@tessera/core';

const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';

/** The public half of a private JWK: what may sit in `keys.verify`. */
function publicHalf({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicMembers }: Jwk): Jwk {
  return publicMembers;
}

// Step 0: one key signs.
const october = await generateSigningKey('ES256', { kid: '2026-10' });
const before = createAccessTokens({ issuer, audience, keys: { sign: october } });
const oldToken = before.issue({ sub: 'user-42' }).token;

// Step 1: a new key signs; the old one only verifies, until its last token has expired (ttl + tolerance).
const november = await generateSigningKey('ES256', { kid: '2026-11' });
const during = createAccessTokens({
  issuer,
  audience,
  keys: { sign: november, verify: [publicHalf(october)] },
});
assert.equal((await during.verify(oldToken)).sub, 'user-42');
const newToken = during.issue({ sub: 'user-42' }).token;

// Resource servers verify from the published JWKS (public keys only).
const jwks = during.jwks();
assert.deepEqual(jwks.keys.map((key) => key.kid).sort(), ['2026-10', '2026-11']);
const resourceServer = createAccessTokens({ issuer, audience, keys: { verify: jwks.keys } });
await resourceServer.verify(oldToken);
await resourceServer.verify(newToken);

// Step 2: the old key is removed; its tokens no longer verify.
const after = createAccessTokens({ issuer, audience, keys: { sign: november } });
await assert.rejects(after.verify(oldToken), { code: 'ERR_TOKEN_SIGNATURE', reason: 'kid_unknown' });
