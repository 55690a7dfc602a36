import { type AccessTokensOptions, createAccessTokens, generateSigningKey, type Jwk } from '@tessera/core';
import fc from 'fast-check';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  fixedClock,
  ISSUER,
  keyFor,
  NOW_S,
  publicPart,
  rejection,
  signCompact,
  validClaims,
  validHeader,
} from './helpers.js';

/**
 * A resource server verifies other issuers' access tokens (RFC 9068, RFC 7519, RFC 9864) as well as
 * tessera's: ignorable header parameters, tokens without `kid`, the fully specified `Ed25519`,
 * `client_id`, and the profile options that admit other issuers' liberties (the strict default stays).
 */

function verifier(keys: Jwk[], options: Partial<AccessTokensOptions> = {}) {
  return createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { verify: keys },
    clock: fixedClock().clock,
    ...options,
  });
}

/** Signed by `key` with its own algorithm, whatever `alg` the header claims. */
const token = (key: Jwk, header: Record<string, unknown>, claims: Record<string, unknown>) =>
  signCompact(JSON.stringify(header), JSON.stringify(claims), key, key.alg === 'Ed25519' ? 'EdDSA' : key.alg);

/** The shapes real issuers send (header and the claims that differ from RFC 9068), as documented by each. */
const ISSUER_SHAPES = {
  // Entra ID v2: typ JWT, x5t beside kid, no jti (uti instead), azp instead of client_id, 60-90 minutes.
  entra: {
    header: (key: Jwk) => ({ typ: 'JWT', alg: key.alg, x5t: 'nOo3ZDrODXEK1jKWhXslHR_KXEg', kid: key.kid }),
    claims: validClaims({
      jti: undefined,
      client_id: undefined,
      azp: 'app',
      uti: 'x',
      ver: '2.0',
      exp: NOW_S + 4800,
      iat: NOW_S - 600,
      nbf: NOW_S - 600,
    }),
    profile: { typ: ['JWT'], requireClientId: false, requireJti: false, maxLifetime: 5400 },
  },
  // Keycloak: typ JWT, jti, azp.
  keycloak: {
    header: (key: Jwk) => ({ alg: key.alg, typ: 'JWT', kid: key.kid }),
    claims: validClaims({ client_id: undefined, azp: 'app', typ: 'Bearer' }),
    profile: { typ: ['JWT'], requireClientId: false },
  },
  // Auth0 with its RFC 9068 profile: at+jwt, client_id, jti: the strict default fits as it is.
  auth0: {
    header: (key: Jwk) => ({ alg: key.alg, typ: 'at+jwt', kid: key.kid }),
    claims: validClaims({ client_id: 'abc', azp: 'abc', permissions: [] }),
    profile: {},
  },
  // Ory Hydra: typ JWT, x5t#S256 is sent by some deployments.
  ory: {
    header: (key: Jwk) => ({ alg: key.alg, kid: key.kid, typ: 'JWT', 'x5t#S256': 'abc' }),
    claims: validClaims({ client_id: 'hydra-client', ext: {} }),
    profile: { typ: ['JWT'] },
  },
} as const;

describe('other issuers: RFC 9068 and RFC 7519 tokens as real issuers shape them', () => {
  it.each(Object.keys(ISSUER_SHAPES) as (keyof typeof ISSUER_SHAPES)[])(
    '%s: verified under its profile; refused by the strict default unless it already fits',
    async (name) => {
      const shape = ISSUER_SHAPES[name];
      const key = await keyFor('RS256');
      const claims = JSON.parse(JSON.stringify(shape.claims)) as Record<string, unknown>;
      const jwt = token(key, shape.header(key), claims);
      await expect(
        verifier([publicPart(key)], { profile: shape.profile }).verify(jwt),
      ).resolves.toMatchObject({
        sub: 'user-1',
      });
      const strict = verifier([publicPart(key)]).verify(jwt);
      if (name === 'auth0') await expect(strict).resolves.toBeTruthy();
      else expect((await rejection(strict)).code).toMatch(/ERR_TOKEN_(CLAIMS|MALFORMED)/);
      // The oracle agrees: jose verifies the same token with the same key.
      await expect(
        jwtVerify(jwt, await importJWK(publicPart(key) as JWK, 'RS256'), {
          currentDate: new Date(NOW_S * 1000),
        }),
      ).resolves.toBeTruthy();
    },
  );

  it('x5t and x5t#S256 are accepted only as strings, and never choose the key', async () => {
    const key = await keyFor('EdDSA');
    const other = await keyFor('EdDSA', 'other');
    const tokens = verifier([publicPart(key)]);
    await expect(
      tokens.verify(token(key, validHeader(key, { x5t: 'a', 'x5t#S256': 'b' }), validClaims())),
    ).resolves.toBeTruthy();
    for (const bad of [{ x5t: 1 }, { 'x5t#S256': {} }, { x5t: null }]) {
      expect((await rejection(tokens.verify(token(key, validHeader(key, bad), validClaims())))).code).toBe(
        'ERR_TOKEN_MALFORMED',
      );
    }
    // A thumbprint naming another key changes nothing: the kid's key must verify.
    const forged = token(other, validHeader(key, { x5t: 'thumbprint-of-other' }), validClaims());
    expect((await rejection(tokens.verify(forged))).code).toBe('ERR_TOKEN_SIGNATURE');
    // The key-choosing parameters stay refused.
    for (const name of ['jku', 'x5u', 'x5c', 'jwk']) {
      const jwt = token(key, validHeader(key, { [name]: 'x' }), validClaims());
      expect((await rejection(tokens.verify(jwt))).code).toBe('ERR_TOKEN_MALFORMED');
    }
  });
});

describe('other issuers: a token without kid', () => {
  const noKid = (key: Jwk, alg: string = key.alg) => ({ alg, typ: 'at+jwt' });

  it('is verified when exactly one configured key fits its alg', async () => {
    const ed = await keyFor('EdDSA');
    const es = await keyFor('ES256');
    const tokens = verifier([publicPart(ed), publicPart(es)]);
    await expect(tokens.verify(token(ed, noKid(ed), validClaims()))).resolves.toBeTruthy();
    await expect(tokens.verify(token(es, noKid(es), validClaims()))).resolves.toBeTruthy();
  });

  it('is refused when several keys fit (kid_ambiguous) or none does (kid_unknown)', async () => {
    const a = await keyFor('ES256', 'a');
    const b = await keyFor('ES256', 'b');
    const ambiguous = verifier([publicPart(a), publicPart(b)]);
    expect(await rejection(ambiguous.verify(token(a, noKid(a), validClaims())))).toMatchObject({
      code: 'ERR_TOKEN_SIGNATURE',
      reason: 'kid_ambiguous',
    });
    const ed = await keyFor('EdDSA');
    expect(
      await rejection(verifier([publicPart(ed)]).verify(token(a, noKid(a), validClaims()))),
    ).toMatchObject({
      code: 'ERR_TOKEN_SIGNATURE',
      reason: 'kid_unknown',
    });
  });

  it('property: the one key that fits must have signed it (any other signer is refused)', async () => {
    const keys = await Promise.all(
      ['EdDSA', 'ES256', 'RS256'].map((alg) => keyFor(alg as Jwk['alg'], `p-${alg}`)),
    );
    const tokens = verifier(keys.map(publicPart));
    const strangers = await Promise.all(
      ['EdDSA', 'ES256'].map((alg) => keyFor(alg as Jwk['alg'], 'stranger')),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...strangers), async (stranger) => {
        const error = await rejection(tokens.verify(token(stranger, noKid(stranger), validClaims())));
        expect(error.code).toBe('ERR_TOKEN_SIGNATURE');
      }),
      { numRuns: 10 },
    );
  });
});

describe('other issuers: Ed25519, the fully specified name (RFC 9864)', () => {
  it('a key of alg Ed25519 signs tokens saying Ed25519; jose verifies them', async () => {
    const key = await generateSigningKey('Ed25519', { kid: 'ed' });
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'Ed25519' });
    const tokens = createAccessTokens({ issuer: ISSUER, audience: AUDIENCE, keys: { sign: key } });
    const { token: jwt } = tokens.issue({ sub: 'a' });
    expect(JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString())).toMatchObject({
      alg: 'Ed25519',
    });
    await expect(tokens.verify(jwt)).resolves.toBeTruthy();
    await expect(jwtVerify(jwt, await importJWK(publicPart(key) as JWK, 'Ed25519'))).resolves.toBeTruthy();
  });

  it('EdDSA and Ed25519 name the same signature: each key verifies both spellings', async () => {
    const eddsa = await keyFor('EdDSA');
    const ed25519 = { ...eddsa, alg: 'Ed25519' } as Jwk;
    for (const key of [eddsa, ed25519]) {
      const tokens = verifier([publicPart(key)]);
      for (const alg of ['EdDSA', 'Ed25519']) {
        await expect(
          tokens.verify(token(eddsa, validHeader(eddsa, { alg }), validClaims())),
        ).resolves.toBeTruthy();
      }
      // And nothing else: the other algorithms stay refused for an Ed25519 key.
      for (const alg of ['ES256', 'RS256', 'HS256', 'none', 'ed25519', 'EDDSA']) {
        const jwt = token(eddsa, validHeader(eddsa, { alg }), validClaims());
        expect((await rejection(tokens.verify(jwt))).code).toBe('ERR_TOKEN_SIGNATURE');
      }
    }
  });
});

describe('other issuers: client_id (RFC 9068 section 2.2)', () => {
  it('tessera tokens always carry it: the clientId option, or the issue input', async () => {
    const key = await keyFor('EdDSA');
    const base = { issuer: ISSUER, audience: AUDIENCE, keys: { sign: key } };
    expect(createAccessTokens(base).issue({ sub: 'a' }).claims.client_id).toBe('first-party');
    const named = createAccessTokens({ ...base, clientId: 'web-app' });
    expect(named.issue({ sub: 'a' }).claims.client_id).toBe('web-app');
    expect(named.issue({ sub: 'a', clientId: 'cli' }).claims.client_id).toBe('cli');
  });

  it('the strict default requires it; requireClientId: false waives it for another issuer', async () => {
    const key = await keyFor('EdDSA');
    const jwt = token(key, validHeader(key), validClaims({ client_id: undefined }));
    expect(await rejection(verifier([publicPart(key)]).verify(jwt))).toMatchObject({
      code: 'ERR_TOKEN_CLAIMS',
      reason: 'client_id_missing',
    });
    const lenient = verifier([publicPart(key)], { profile: { requireClientId: false } });
    await expect(lenient.verify(jwt)).resolves.toBeTruthy();
    // Waived means absent is fine; a wrong type never is.
    const typed = token(key, validHeader(key), validClaims({ client_id: 7 }));
    expect((await rejection(lenient.verify(typed))).code).toBe('ERR_TOKEN_CLAIMS');
  });
});

describe('other issuers: NumericDates (RFC 7519 section 2)', () => {
  const fractional = { profile: { numericDates: 'fractional' as const } };

  it('the strict default refuses fractions; the fractional profile admits finite ones', async () => {
    const key = await keyFor('EdDSA');
    const claims = validClaims({
      iat: NOW_S - 10.5,
      exp: NOW_S + 600.25,
      nbf: NOW_S - 11.75,
      auth_time: NOW_S - 20.5,
    });
    const jwt = token(key, validHeader(key), claims);
    expect((await rejection(verifier([publicPart(key)]).verify(jwt))).code).toBe('ERR_TOKEN_CLAIMS');
    await expect(verifier([publicPart(key)], fractional).verify(jwt)).resolves.toMatchObject({
      exp: NOW_S + 600.25,
    });
  });

  it('property: under either profile, no non-finite or out-of-range date is accepted', async () => {
    const key = await keyFor('EdDSA');
    const tokens = [verifier([publicPart(key)]), verifier([publicPart(key)], fractional)];
    const hostileDate = fc.constantFrom(
      '1e400',
      '-1e400',
      '9007199254740993',
      '1e300',
      '"1"',
      'true',
      'null',
      '[]',
    );
    const claim = fc.constantFrom('iat', 'exp', 'nbf', 'auth_time');
    await fc.assert(
      fc.asyncProperty(hostileDate, claim, async (text, name) => {
        const json = JSON.stringify(validClaims({ [name]: '__DATE__' })).replace('"__DATE__"', text);
        const jwt = signCompact(JSON.stringify(validHeader(key)), json, key);
        for (const instance of tokens) {
          expect((await rejection(instance.verify(jwt))).code).toMatch(
            /ERR_TOKEN_(CLAIMS|EXPIRED|MALFORMED)/,
          );
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a fractional expiry still expires: exp + tolerance is the end, to the millisecond', async () => {
    const key = await keyFor('EdDSA');
    const clock = fixedClock();
    const tokens = verifier([publicPart(key)], { ...fractional, clock: clock.clock });
    const jwt = token(key, validHeader(key), validClaims({ exp: NOW_S + 0.5 }));
    clock.now = (NOW_S + 0.5 + 5) * 1000 - 1;
    await expect(tokens.verify(jwt)).resolves.toBeTruthy();
    clock.now += 1;
    expect((await rejection(tokens.verify(jwt))).code).toBe('ERR_TOKEN_EXPIRED');
  });
});

describe('other issuers: maxLifetime', () => {
  it('a 90-minute token is refused by default and accepted with maxLifetime 5400', async () => {
    const key = await keyFor('EdDSA');
    const jwt = token(key, validHeader(key), validClaims({ iat: NOW_S - 60, exp: NOW_S + 5340 }));
    expect(await rejection(verifier([publicPart(key)]).verify(jwt))).toMatchObject({ reason: 'lifetime' });
    await expect(
      verifier([publicPart(key)], { profile: { maxLifetime: 5400 } }).verify(jwt),
    ).resolves.toBeTruthy();
  });

  it('refuses options under which an instance would refuse its own tokens or outlive its revocations', async () => {
    const key = await keyFor('EdDSA');
    const base = { issuer: ISSUER, audience: AUDIENCE };
    expect(() =>
      createAccessTokens({ ...base, keys: { sign: key }, ttl: 900, profile: { maxLifetime: 600 } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    // The revocation check must judge every token the profile accepts, not only ttl-long ones.
    const revocation = { check: () => undefined, horizon: 905 };
    expect(() =>
      createAccessTokens({
        ...base,
        keys: { verify: [publicPart(key)] },
        revocation,
        profile: { maxLifetime: 5400 },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', reason: 'revocation_horizon' }));
    expect(() =>
      createAccessTokens({ ...base, keys: { verify: [publicPart(key)] }, revocation }),
    ).not.toThrow();
  });

  it.each([
    { typ: [] },
    { typ: [''] },
    { maxLifetime: 86_401 },
    { maxLifetime: 1.5 },
    { numericDates: 'loose' },
    { requireClientId: 'no' },
    { unknown: true },
  ])('refuses profile %j (ERR_CONFIG)', async (profile) => {
    const key = await keyFor('EdDSA');
    expect(() => verifier([publicPart(key)], { profile: profile as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });
});
