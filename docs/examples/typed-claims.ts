import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createMemoryDenylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createSessions } from '@tessera/sessions';

// Declared once, anywhere in your app: every verified claim set (sessions.verify, req.auth,
// request.auth, c.var.auth) now carries a typed `role`.
declare module '@tessera/sessions' {
  interface CustomClaims {
    readonly role?: 'customer' | 'admin';
  }
}

const roles = new Map<string, 'customer' | 'admin'>([['user-42', 'admin']]);
const sessions = createSessions({
  access: createAccessTokens({
    issuer: 'https://auth.example.com',
    audience: 'https://api.example.com',
    keys: { sign: await generateSigningKey('EdDSA') },
  }),
  refresh: createRefreshTokens({
    store: createMemoryStore(),
    secrets: [{ id: 'r1', secret: randomBytes(32) }],
  }),
  denylist: createMemoryDenylist(),
  // What goes into the tokens: exactly the declared shape, read again at every refresh.
  claims: (sub) => ({ claims: { role: roles.get(sub) ?? 'customer' } }),
});

const { accessToken } = await sessions.login('user-42');
const claims = await sessions.verify(accessToken.token);
const role: 'customer' | 'admin' | undefined = claims.role; // typed: no cast
assert.equal(role, 'admin');
