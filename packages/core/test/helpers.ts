import { createHmac, createPrivateKey, sign } from 'node:crypto';
import {
  type AccessTokensOptions,
  type Algorithm,
  createAccessTokens,
  generateSigningKey,
  type Jwk,
} from '@tessera/core';

export const ISSUER = 'https://auth.example.com';
export const AUDIENCE = 'https://api.example.com';
export const ALGORITHMS: readonly Algorithm[] = ['EdDSA', 'ES256', 'RS256', 'PS256', 'HS256'];
/** A fixed "now" (ms) for injected clocks: 2026-11-21T00:00:00Z. */
export const NOW = Date.UTC(2026, 10, 21);
export const NOW_S = NOW / 1000;

const keyCache = new Map<string, Promise<Jwk>>();
/** One generated key per (alg, kid), shared across tests of a file (RSA generation is slow). */
export function keyFor(alg: Algorithm, kid = `test-${alg}`): Promise<Jwk> {
  const id = `${alg}/${kid}`;
  let key = keyCache.get(id);
  if (!key) {
    key = generateSigningKey(alg, { kid });
    keyCache.set(id, key);
  }
  return key;
}

/** The public part of a private JWK (HMAC secrets are returned as they are). */
export function publicPart(jwk: Jwk): Jwk {
  if (jwk.kty === 'oct') return jwk;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

export interface Clock {
  now: number;
  readonly clock: () => number;
}

export function fixedClock(now = NOW): Clock {
  const state = {
    now,
    clock: () => state.now,
  };
  return state;
}

export async function setup(alg: Algorithm = 'EdDSA', options: Partial<AccessTokensOptions> = {}) {
  const key = await keyFor(alg);
  const time = fixedClock();
  const tokens = createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { sign: key },
    clock: time.clock,
    ...options,
  });
  return { key, time, tokens };
}

export const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

/**
 * Signs arbitrary header and payload texts with `jwk`, independently of tessera's signer, so a valid
 * signature carries whatever attack the texts hold. `alg` defaults to the key's own.
 */
export function signCompact(
  headerText: string,
  payloadText: string,
  jwk: Jwk,
  alg: Algorithm = jwk.alg,
): string {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  return `${input}.${signInput(input, jwk, alg)}`;
}

export function signInput(input: string, jwk: Jwk, alg: Algorithm = jwk.alg): string {
  const data = Buffer.from(input);
  if (jwk.kty === 'oct')
    return createHmac('sha256', Buffer.from(jwk.k!, 'base64url')).update(data).digest('base64url');
  const key = createPrivateKey({ key: { ...jwk }, format: 'jwk' });
  switch (alg) {
    case 'EdDSA':
      return sign(null, data, key).toString('base64url');
    case 'ES256':
      return sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    case 'PS256':
      return sign('sha256', data, { key, padding: 6, saltLength: 32 }).toString('base64url');
    default:
      return sign('sha256', data, key).toString('base64url');
  }
}

/** A claim set valid at {@link NOW} for the default setup. */
export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    exp: NOW_S + 600,
    iat: NOW_S - 10,
    jti: 'a2c4e6f8-0000-4000-8000-000000000001',
    client_id: 'first-party',
    ...overrides,
  };
}

export function validHeader(jwk: Jwk, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt', ...overrides };
}

/** Resolves to the error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<{ code?: string } & Error> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string } & Error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
