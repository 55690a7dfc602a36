import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type AccessTokensOptions, createAccessTokens, isTesseraError, type Jwk } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, keyFor, publicPart } from './helpers.js';

function configFailure(options: unknown): { reason: string | undefined; message: string } {
  try {
    createAccessTokens(options as AccessTokensOptions);
  } catch (error) {
    expect(isTesseraError(error, 'ERR_CONFIG')).toBe(true);
    const e = error as { reason: string | undefined; message: string };
    return { reason: e.reason, message: e.message };
  }
  throw new Error('expected ERR_CONFIG');
}

const hmac = (bytes: Buffer, kid = 'h1'): Jwk => ({
  kty: 'oct',
  k: bytes.toString('base64url'),
  kid,
  alg: 'HS256',
});

describe('createAccessTokens options (ERR_CONFIG at construction)', async () => {
  const ed = await keyFor('EdDSA');
  const base = { issuer: ISSUER, audience: AUDIENCE, keys: { sign: ed } };

  it('accepts a minimal valid configuration', () => {
    expect(() => createAccessTokens(base)).not.toThrow();
  });

  it.each([
    ['missing issuer', { ...base, issuer: undefined }],
    ['empty issuer', { ...base, issuer: '' }],
    ['missing audience', { ...base, audience: undefined }],
    ['empty audience list', { ...base, audience: [] }],
    ['TTL over one hour', { ...base, ttl: 3601 }],
    ['TTL zero', { ...base, ttl: 0 }],
    ['fractional TTL', { ...base, ttl: 1.5 }],
    ['tolerance over 60 s', { ...base, clockTolerance: 61 }],
    ['negative tolerance', { ...base, clockTolerance: -1 }],
    ['infinite tolerance', { ...base, clockTolerance: Number.POSITIVE_INFINITY }],
    ['NaN tolerance', { ...base, clockTolerance: Number.NaN }],
    ['unknown option', { ...base, algorithm: 'none' }],
    ['revocation without check()', { ...base, revocation: {} }],
    ['no keys at all', { ...base, keys: {} }],
    ['a key without kid', { ...base, keys: { sign: { ...ed, kid: undefined } } }],
    ['a key without alg', { ...base, keys: { sign: { ...ed, alg: undefined } } }],
    ['alg "none"', { ...base, keys: { sign: { ...ed, alg: 'none' } } }],
  ])('rejects %s', (_name, options) => {
    configFailure(options);
  });

  it('rejects an empty or short HMAC secret, and a patterned one', () => {
    expect(configFailure({ ...base, keys: { sign: hmac(Buffer.alloc(0)) } }).reason).toBe('weak_secret');
    expect(configFailure({ ...base, keys: { sign: hmac(randomBytes(31)) } }).reason).toBe('weak_secret');
    expect(configFailure({ ...base, keys: { sign: hmac(Buffer.alloc(64, 'a')) } }).reason).toBe(
      'weak_secret',
    );
    expect(
      configFailure({ ...base, keys: { sign: hmac(Buffer.from('abababababababababababababababababab')) } })
        .reason,
    ).toBe('weak_secret');
    expect(() => createAccessTokens({ ...base, keys: { sign: hmac(randomBytes(32)) } })).not.toThrow();
  });

  it('rejects RSA keys under 2048 bits', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'small', alg: 'RS256' } as Jwk;
    expect(configFailure({ ...base, keys: { sign: jwk } }).reason).toBe('weak_key');
  });

  it('rejects HS256 mixed with asymmetric keys', async () => {
    const hs = hmac(randomBytes(32), 'hs');
    expect(configFailure({ ...base, keys: { sign: ed, verify: [hs] } }).reason).toBe('mixed_key_families');
  });

  it('rejects a private key where only verification was asked', async () => {
    const other = await keyFor('ES256', 'other');
    expect(configFailure({ ...base, keys: { verify: [other] } }).reason).toBe('private_key');
  });

  it('rejects a public key as the signing key', () => {
    expect(configFailure({ ...base, keys: { sign: publicPart(ed) } }).reason).toBe('public_key');
  });

  it('rejects duplicate kids', async () => {
    const other = await keyFor('EdDSA', ed.kid);
    expect(configFailure({ ...base, keys: { sign: ed, verify: [publicPart(other)] } }).reason).toBe(
      'duplicate_kid',
    );
  });

  it('rejects a key whose type does not fit its alg', async () => {
    const es = await keyFor('ES256');
    expect(configFailure({ ...base, keys: { sign: { ...es, alg: 'EdDSA' } } }).reason).toBe('key_type');
    expect(configFailure({ ...base, keys: { sign: { ...es, alg: 'RS256' } } }).reason).toBe('key_type');
    expect(configFailure({ ...base, keys: { sign: { ...ed, use: 'enc' } } }).reason).toBe('key_use');
  });

  it('rejects a JWK that does not parse, without quoting its members', () => {
    const broken = { ...ed, x: 'not-a-point', d: 'c2VjcmV0LXByaXZhdGUtbWF0ZXJpYWw' };
    const failure = configFailure({ ...base, keys: { sign: broken } });
    expect(failure.reason).toBe('invalid_jwk');
    expect(failure.message).not.toContain('c2VjcmV0LXByaXZhdGUtbWF0ZXJpYWw');
  });

  it('names every problem in one message, by path', () => {
    const { message } = configFailure({ ...base, issuer: '', ttl: 7200 });
    expect(message).toMatch(/issuer/);
    expect(message).toMatch(/ttl/);
  });

  it('a verify-only instance refuses to issue with ERR_CONFIG', () => {
    const verifier = createAccessTokens({ ...base, keys: { verify: [publicPart(ed)] } });
    expect(() => verifier.issue({ sub: 'u' })).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});

describe('a revocation check must cover the verifier: ttl + clockTolerance <= horizon', async () => {
  const ed = await keyFor('EdDSA');
  const base = { issuer: ISSUER, audience: AUDIENCE, keys: { sign: ed } };
  const check = (horizon: unknown) => ({ check() {}, horizon }) as never;
  it('refuses a shorter horizon, and one that is not a number', () => {
    for (const [options, horizon] of [
      [{ ttl: 3600 }, 905],
      [{ ttl: 900, clockTolerance: 10 }, 905],
      [{ ttl: 900, clockTolerance: 5.5 }, 905],
      [{}, Number.NaN],
      [{}, '3600'],
    ] as const) {
      expect(configFailure({ ...base, ...options, revocation: check(horizon) }).reason).toBe(
        'revocation_horizon',
      );
    }
  });
  it('accepts an equal or longer one, and a check without a horizon', () => {
    expect(() => createAccessTokens({ ...base, revocation: check(905) })).not.toThrow();
    expect(() => createAccessTokens({ ...base, ttl: 60, revocation: check(3660) })).not.toThrow();
    expect(() => createAccessTokens({ ...base, revocation: { check() {} } })).not.toThrow();
  });
});
