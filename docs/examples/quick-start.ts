import assert from 'node:assert/strict';
import { createAccessTokens, generateSigningKey, isTesseraError } from '@tessera/core';

// Once, at start-up: a key (store it like a password) and the token service.
const signingKey = await generateSigningKey('EdDSA', { kid: '2026-11' });
const tokens = createAccessTokens({
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  keys: { sign: signingKey },
});

// At login: a short-lived access token (15 minutes by default).
const { token, expiresIn } = tokens.issue({ sub: 'user-42', sid: 'session-1', scope: ['orders:read'] });
assert.equal(expiresIn, 900);

// On every request: strict verification, scope included.
const claims = await tokens.verify(token, { scope: 'orders:read' });
assert.equal(claims.sub, 'user-42');

// Every rejection is a TesseraError with a stable code.
const error = await tokens.verify(`${token}x`).catch((e: unknown) => e);
assert.ok(isTesseraError(error, 'ERR_TOKEN_SIGNATURE'));
