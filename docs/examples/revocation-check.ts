import assert from 'node:assert/strict';
import {
  type AccessTokenClaims,
  createAccessTokens,
  generateSigningKey,
  type RevocationCheck,
  TokenRevokedError,
} from '@tessera/core';

// Any object with check(claims) plugs in; @tessera/denylist provides the Redis-backed one.
const revokedSessions = new Set<string>();
const revocation: RevocationCheck = {
  check(claims: AccessTokenClaims) {
    if (claims.sid !== undefined && revokedSessions.has(claims.sid)) {
      throw new TokenRevokedError('session revoked', { reason: 'session', sessionId: claims.sid });
    }
  },
};

const tokens = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: await generateSigningKey('EdDSA') },
  revocation,
  cache: { maxEntries: 50_000 }, // the cache never skips the revocation check
});

const { token } = tokens.issue({ sub: 'user-42', sid: 'session-7' });
await tokens.verify(token);
revokedSessions.add('session-7');
await assert.rejects(tokens.verify(token), { code: 'ERR_TOKEN_REVOKED' });
