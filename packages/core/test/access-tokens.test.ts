import {
  createAccessTokens,
  generateSigningKey,
  isTesseraError,
  type RevocationCheck,
  TokenRevokedError,
} from '@tessera/core';
import { describe, expect, it, vi } from 'vitest';
import { ALGORITHMS, AUDIENCE, ISSUER, NOW_S, publicPart, rejection, setup } from './helpers.js';

describe.each(ALGORITHMS)('%s issue and verify', (alg) => {
  it('issues an RFC 9068 token that verifies to the same claims', async () => {
    const { tokens, key } = await setup(alg);
    const issued = tokens.issue({
      sub: 'user-1',
      sid: 's-1',
      scope: ['read', 'write'],
      clientId: 'web',
      authTime: NOW_S - 60,
    });
    const [header] = issued.token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg,
      kid: key.kid,
      typ: 'at+jwt',
    });
    expect(issued.claims).toMatchObject({
      iss: ISSUER,
      sub: 'user-1',
      aud: AUDIENCE,
      iat: NOW_S,
      exp: NOW_S + 900,
      sid: 's-1',
      scope: 'read write',
      client_id: 'web',
      auth_time: NOW_S - 60,
    });
    expect(issued.claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(issued.expiresAt).toBe(NOW_S + 900);
    expect(issued.expiresIn).toBe(900);
    expect(await tokens.verify(issued.token)).toEqual(issued.claims);
  });
});

describe('verify options', async () => {
  const { tokens } = await setup('EdDSA');

  it('requires every scope asked for (ERR_TOKEN_SCOPE otherwise)', async () => {
    const { token } = tokens.issue({ sub: 'u', scope: 'read write' });
    await expect(tokens.verify(token, { scope: 'read' })).resolves.toBeTruthy();
    await expect(tokens.verify(token, { scope: ['read', 'write'] })).resolves.toBeTruthy();
    expect((await rejection(tokens.verify(token, { scope: 'admin' }))).code).toBe('ERR_TOKEN_SCOPE');
    expect((await rejection(tokens.verify(token, { scope: 'read admin' }))).code).toBe('ERR_TOKEN_SCOPE');
    const { token: noScope } = tokens.issue({ sub: 'u' });
    expect((await rejection(tokens.verify(noScope, { scope: 'read' }))).code).toBe('ERR_TOKEN_SCOPE');
  });

  it('does not treat a scope prefix as the scope', async () => {
    const { token } = tokens.issue({ sub: 'u', scope: 'readonly' });
    expect((await rejection(tokens.verify(token, { scope: 'read' }))).code).toBe('ERR_TOKEN_SCOPE');
  });

  it('enforces maxAuthAge against auth_time', async () => {
    const { token } = tokens.issue({ sub: 'u', authTime: NOW_S - 300 });
    await expect(tokens.verify(token, { maxAuthAge: 600 })).resolves.toBeTruthy();
    const error = await rejection(tokens.verify(token, { maxAuthAge: 60 }));
    expect(error).toMatchObject({ code: 'ERR_TOKEN_CLAIMS', reason: 'auth_too_old' });
    const { token: noAuthTime } = tokens.issue({ sub: 'u' });
    expect(await rejection(tokens.verify(noAuthTime, { maxAuthAge: 600 }))).toMatchObject({
      reason: 'auth_time_missing',
    });
  });

  it('checks the audience per call when overridden', async () => {
    const { token } = tokens.issue({ sub: 'u' });
    expect((await rejection(tokens.verify(token, { audience: 'https://other.example.com' }))).code).toBe(
      'ERR_TOKEN_CLAIMS',
    );
    await expect(
      tokens.verify(token, { audience: ['https://other.example.com', AUDIENCE] }),
    ).resolves.toBeTruthy();
  });

  it('rejects bad issue input with ERR_TOKEN_CLAIMS', () => {
    const bad = [
      { sub: '' },
      { sub: 'u', ttl: 901 },
      { sub: 'u', ttl: 0 },
      { sub: 'u', scope: 'a  b' },
      { sub: 'u', scope: 'a"b' },
      { sub: 'u', claims: { iss: 'https://evil' } },
      { sub: 'u', claims: { exp: 1 } },
      { sub: 'u', claims: JSON.parse('{"__proto__":{"admin":true}}') },
      // Regression example shrunk by the jose differential property: a nested __proto__ key.
      { sub: ' ', claims: JSON.parse('{"role":{"__proto__":{}}}') },
      { sub: 'u', claims: { big: 10n } },
      { sub: 'u', claims: { blob: 'x'.repeat(9000) } },
      { sub: 'u', authTime: NOW_S + 3600 },
      { sub: 'u', epoch: -1 },
    ];
    for (const input of bad) {
      expect(
        () => tokens.issue(input as never),
        JSON.stringify(input, (_k, v) => (typeof v === 'bigint' ? 'bigint' : v)),
      ).toThrowError(expect.objectContaining({ code: 'ERR_TOKEN_CLAIMS' }));
    }
  });

  it("returns frozen claims and does not freeze the caller's objects", async () => {
    const nested = { team: ['a'] };
    const issued = tokens.issue({ sub: 'u', claims: { org: nested } });
    expect(Object.isFrozen(nested)).toBe(false);
    const claims = await tokens.verify(issued.token);
    expect(Object.isFrozen(claims)).toBe(true);
    expect(Object.isFrozen(claims['org'])).toBe(true);
  });
});

describe('key rotation', () => {
  it('keeps old tokens valid while the old key verifies, and rejects them once it is removed', async () => {
    const oldKey = await generateSigningKey('ES256', { kid: '2026-10' });
    const newKey = await generateSigningKey('ES256', { kid: '2026-11' });
    const base = { issuer: ISSUER, audience: AUDIENCE };
    const before = createAccessTokens({ ...base, keys: { sign: oldKey } });
    const during = createAccessTokens({ ...base, keys: { sign: newKey, verify: [publicPart(oldKey)] } });
    const after = createAccessTokens({ ...base, keys: { sign: newKey } });
    const oldToken = before.issue({ sub: 'u' }).token;
    const newToken = during.issue({ sub: 'u' }).token;
    await expect(during.verify(oldToken)).resolves.toMatchObject({ sub: 'u' });
    await expect(during.verify(newToken)).resolves.toMatchObject({ sub: 'u' });
    await expect(after.verify(newToken)).resolves.toMatchObject({ sub: 'u' });
    expect(await rejection(after.verify(oldToken))).toMatchObject({
      code: 'ERR_TOKEN_SIGNATURE',
      reason: 'kid_unknown',
    });
    // A resource server that only verifies, from the published JWKS.
    const resourceServer = createAccessTokens({ ...base, keys: { verify: during.jwks().keys } });
    await expect(resourceServer.verify(oldToken)).resolves.toBeTruthy();
    await expect(resourceServer.verify(newToken)).resolves.toBeTruthy();
  });

  it('a token signed by another key with the same kid is rejected', async () => {
    const a = await generateSigningKey('EdDSA', { kid: 'same' });
    const b = await generateSigningKey('EdDSA', { kid: 'same' });
    const base = { issuer: ISSUER, audience: AUDIENCE };
    const token = createAccessTokens({ ...base, keys: { sign: a } }).issue({ sub: 'u' }).token;
    const error = await rejection(createAccessTokens({ ...base, keys: { sign: b } }).verify(token));
    expect(error.code).toBe('ERR_TOKEN_SIGNATURE');
  });
});

describe('jwks', () => {
  it('publishes public keys only, with kid, alg and use', async () => {
    const signKey = await generateSigningKey('RS256', { kid: 'r1' });
    const older = await generateSigningKey('RS256', { kid: 'r0' });
    const tokens = createAccessTokens({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { sign: signKey, verify: [publicPart(older)] },
    });
    const { keys } = tokens.jwks();
    expect(keys.map((k) => k.kid).sort()).toEqual(['r0', 'r1']);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(key).not.toHaveProperty(member);
    }
  });

  it('never publishes an HMAC secret', async () => {
    const secret = await generateSigningKey('HS256', { kid: 'h' });
    expect(
      createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { sign: secret } }).jwks().keys,
    ).toEqual([]);
  });

  it('defaults the kid of a generated key to its RFC 7638 thumbprint', async () => {
    const key = await generateSigningKey('EdDSA');
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({ alg: 'EdDSA', use: 'sig', kty: 'OKP', crv: 'Ed25519' });
    expect(typeof key.d).toBe('string');
  });

  it('refuses unsupported algorithms and odd kids when generating', async () => {
    await expect(generateSigningKey('HS512' as never)).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(generateSigningKey('EdDSA', { kid: 'has space' })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
    await expect(generateSigningKey('RS256', { modulusLength: 1024 })).rejects.toMatchObject({
      code: 'ERR_CONFIG',
    });
  });
});

describe('revocation check', () => {
  it('runs after the signature and claim checks, on every call, and its rejection is the answer', async () => {
    const seen: string[] = [];
    const revoked = new Set<string>();
    const revocation: RevocationCheck = {
      check(claims) {
        seen.push(claims.jti);
        if (revoked.has(claims.sid ?? ''))
          throw new TokenRevokedError('session revoked', { reason: 'session' });
      },
    };
    const { tokens } = await setup('EdDSA', { revocation });
    const { token, claims } = tokens.issue({ sub: 'u', sid: 's1' });
    await tokens.verify(token);
    await tokens.verify(token);
    expect(seen).toEqual([claims.jti, claims.jti]);
    revoked.add('s1');
    expect((await rejection(tokens.verify(token))).code).toBe('ERR_TOKEN_REVOKED');
    // Not reached for a token that fails earlier.
    expect((await rejection(tokens.verify(`${token}x`))).code).not.toBe('ERR_TOKEN_REVOKED');
    expect(seen).toHaveLength(3);
  });

  it('awaits an async check and fails closed with ERR_UNAVAILABLE on a foreign error', async () => {
    const { tokens } = await setup('EdDSA', {
      revocation: { check: async () => Promise.reject(new Error('redis down')) },
    });
    const { token } = tokens.issue({ sub: 'u' });
    const error = await rejection(tokens.verify(token));
    expect(isTesseraError(error, 'ERR_UNAVAILABLE')).toBe(true);
  });
});

describe('verified-token cache', () => {
  it('never skips the revocation check on a hit', async () => {
    const check = vi.fn();
    const { tokens } = await setup('EdDSA', { cache: true, revocation: { check } });
    const { token } = tokens.issue({ sub: 'u' });
    for (let i = 0; i < 5; i++) await tokens.verify(token);
    expect(check).toHaveBeenCalledTimes(5);
    check.mockImplementation(() => {
      throw new TokenRevokedError('revoked');
    });
    expect((await rejection(tokens.verify(token))).code).toBe('ERR_TOKEN_REVOKED');
  });

  it('never outlives exp, even within the clock tolerance', async () => {
    const { tokens, time } = await setup('EdDSA', { cache: true, clockTolerance: 5 });
    const { token, claims } = tokens.issue({ sub: 'u', ttl: 60 });
    await tokens.verify(token);
    time.now = claims.exp * 1000 + 4_999;
    await expect(tokens.verify(token)).resolves.toBeTruthy();
    time.now = claims.exp * 1000 + 5_000;
    expect((await rejection(tokens.verify(token))).code).toBe('ERR_TOKEN_EXPIRED');
  });

  it('never caches a failure', async () => {
    const { tokens, time } = await setup('EdDSA', { cache: true });
    const { token } = tokens.issue({ sub: 'u' });
    const issuedAt = time.now;
    time.now = issuedAt - 60_000; // the verifier's clock is behind: iat is in the future
    expect((await rejection(tokens.verify(token))).code).toBe('ERR_TOKEN_CLAIMS');
    time.now = issuedAt;
    await expect(tokens.verify(token)).resolves.toBeTruthy();
  });

  it('still runs per-call checks (scope, audience) on a hit', async () => {
    const { tokens } = await setup('EdDSA', { cache: { maxEntries: 4 } });
    const { token } = tokens.issue({ sub: 'u', scope: 'read' });
    await tokens.verify(token, { scope: 'read' });
    expect((await rejection(tokens.verify(token, { scope: 'write' }))).code).toBe('ERR_TOKEN_SCOPE');
    expect((await rejection(tokens.verify(token, { audience: 'other' }))).code).toBe('ERR_TOKEN_CLAIMS');
  });

  it('is keyed by the whole token: a tampered copy of a cached token misses and fails', async () => {
    const { tokens } = await setup('EdDSA', { cache: true });
    const { token } = tokens.issue({ sub: 'u' });
    await tokens.verify(token);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect((await rejection(tokens.verify(token.slice(0, -1) + last))).code).toBe('ERR_TOKEN_SIGNATURE');
  });
});
