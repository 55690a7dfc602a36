import { type AccessTokenClaims, createAccessTokens, isTesseraError, type JsonValue } from '@tessera/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, AUDIENCE, fixedClock, ISSUER, setup } from './helpers.js';

const REGISTERED = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'sid',
  'scope',
  'client_id',
  'auth_time',
  'epoch',
]);
const scopeToken = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,12}$/);
const claimName = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((name) => !REGISTERED.has(name) && name !== '__proto__');
const jsonLeaf = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonLeaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(claimName, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const issueInput = fc.record(
  {
    sub: fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
    sid: fc.string({ minLength: 1, maxLength: 40 }),
    scope: fc.array(scopeToken, { maxLength: 5 }),
    clientId: fc.string({ minLength: 1, maxLength: 20 }),
    claims: fc.dictionary(claimName, jsonValue, { maxKeys: 5 }),
    ttl: fc.integer({ min: 1, max: 900 }),
  },
  { requiredKeys: ['sub'] },
);

/** `-0` does not survive JSON; compare what JSON keeps. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe.each(ALGORITHMS)('%s properties', async (alg) => {
  const { key, tokens } = await setup(alg);

  it('round trip: verify(issue(x)) returns the issued claims for arbitrary subjects, scopes and claims', async () => {
    await fc.assert(
      fc.asyncProperty(issueInput, async (input) => {
        const issued = tokens.issue(input);
        const verified = await tokens.verify(issued.token);
        expect(verified).toEqual(issued.claims);
        expect(verified.sub).toBe(input.sub);
        for (const [name, value] of Object.entries(input.claims ?? {}))
          expect(viaJson(verified[name])).toEqual(viaJson(value));
      }),
      { numRuns: alg.startsWith('RS') || alg === 'PS256' ? 30 : 100 },
    );
  });

  it('any change to any single character of a valid token is rejected', async () => {
    const { token } = tokens.issue({ sub: 'user-1', scope: 'read', claims: { role: 'member' } });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...alphabet, '\u00e9', '\u0000'),
        fc.constantFrom('replace', 'insert', 'delete'),
        async (index, char, how) => {
          const mutated =
            how === 'replace'
              ? token.slice(0, index) + char + token.slice(index + 1)
              : how === 'insert'
                ? token.slice(0, index) + char + token.slice(index)
                : token.slice(0, index) + token.slice(index + 1);
          fc.pre(mutated !== token);
          const outcome = await tokens.verify(mutated).then(
            () => 'accepted',
            (error: unknown) => (isTesseraError(error) ? 'rejected' : `crashed: ${String(error)}`),
          );
          expect(outcome).toBe('rejected');
        },
      ),
      { numRuns: alg.startsWith('RS') || alg === 'PS256' ? 150 : 400 },
    );
  });

  it('tokens are valid until exp + tolerance and expire exactly then', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 900 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 120_000 }),
        async (ttl, tolerance, after) => {
          const clock = fixedClock();
          const t = createAccessTokens({
            issuer: ISSUER,
            audience: AUDIENCE,
            keys: { sign: key },
            clock: clock.clock,
            clockTolerance: tolerance,
          });
          const { token, claims } = t.issue({ sub: 'u', ttl });
          const boundary = (claims.exp + tolerance) * 1000;
          clock.now = boundary - 1;
          const accepted: AccessTokenClaims = await t.verify(token);
          expect(accepted.exp).toBe(claims.exp);
          clock.now = boundary;
          await expect(t.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
          clock.now = boundary + after;
          await expect(t.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
        },
      ),
      { numRuns: alg.startsWith('RS') || alg === 'PS256' ? 20 : 100 },
    );
  });
});
