/** Nothing fails open on a wrong type: a broken clock, junk verify options (issue: no check is ever skipped). */
import { type AccessTokens, createAccessTokens, isTesseraError, TesseraError } from '@tessera/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, ISSUER, keyFor, NOW, rejection, setup } from './helpers.js';

/** Clock readings that are not a finite, non-negative number of ms. */
export const BAD_READINGS: readonly unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1,
  new Date(NOW),
  String(NOW),
  BigInt(NOW),
  undefined,
  null,
  {},
];

describe('an injected clock that returns no finite time fails closed (ERR_UNAVAILABLE, reason clock)', async () => {
  const key = await keyFor('EdDSA');
  it.each(BAD_READINGS.map((reading) => [String(reading), reading]))(
    'clock() = %s',
    async (_name, reading) => {
      let now: unknown = NOW;
      const tokens = createAccessTokens({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: { sign: key },
        clock: () => now as number,
      });
      // Issued an hour ago with a 15-minute lifetime: a clock whose comparisons all come out false would accept it.
      now = NOW - 3600_000;
      const { token } = tokens.issue({ sub: 'u' });
      now = reading;
      const error = await rejection(tokens.verify(token));
      expect(isTesseraError(error, 'ERR_UNAVAILABLE')).toBe(true);
      expect((error as TesseraError).reason).toBe('clock');
      expect(() => tokens.issue({ sub: 'u' })).toThrowError(
        expect.objectContaining({ code: 'ERR_UNAVAILABLE' }),
      );
    },
  );
});

/** Junk for one verify option: wrong types, NaN, empty and odd strings, nested objects. */
const junkValue = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    123,
    '',
    ' ',
    'a  b',
    [],
    [''],
    [1],
    {},
    true,
  ),
);
const junkOptions = fc.oneof(
  fc.anything(),
  fc.record({ scope: junkValue, maxAuthAge: junkValue, audience: junkValue }, { requiredKeys: [] }),
  fc.dictionary(fc.string({ maxLength: 12 }), junkValue, { maxKeys: 3 }),
);

async function outcome(tokens: AccessTokens, token: string, options?: unknown): Promise<'accept' | string> {
  try {
    await tokens.verify(token, options as never);
    return 'accept';
  } catch (error) {
    if (!(error instanceof TesseraError)) throw new Error(`not a TesseraError: ${String(error)}`);
    return error.code;
  }
}

describe('junk verify options get ERR_CONFIG, never a TypeError or a skipped check', async () => {
  const { tokens, time } = await setup('HS256');
  const token = tokens.issue({ sub: 'u', scope: 'read', authTime: Math.floor(NOW / 1000) - 7200 }).token;

  it.each([
    ['null', null],
    ['a number', 5],
    ['an array', []],
    ['{ audience: 123 }', { audience: 123 }],
    ['{ audience: [] }', { audience: [] }],
    ['{ audience: "" }', { audience: '' }],
    ['{ scope: 123 }', { scope: 123 }],
    ['{ scope: null }', { scope: null }],
    ['{ scope: "" }', { scope: '' }],
    ['{ scope: ["read", 1] }', { scope: ['read', 1] }],
    ['{ maxAuthAge: NaN }', { maxAuthAge: Number.NaN }],
    ['{ maxAuthAge: -1 }', { maxAuthAge: -1 }],
    ['{ maxAuthAge: "60" }', { maxAuthAge: '60' }],
    ['a misspelt option { scopes: "admin" }', { scopes: 'admin' }],
  ])('%s', async (_name, options) => {
    const error = await rejection(tokens.verify(token, options as never));
    expect(isTesseraError(error, 'ERR_CONFIG')).toBe(true);
    expect((error as TesseraError).reason).toBe('invalid_verify_options');
  });

  it('good options still work: scope, maxAuthAge, audience', async () => {
    expect(await outcome(tokens, token, { scope: 'read', audience: [AUDIENCE, 'other'] })).toBe('accept');
    expect(await outcome(tokens, token, { scope: [] })).toBe('accept');
    expect(await outcome(tokens, token, { maxAuthAge: 60 })).toBe('ERR_TOKEN_CLAIMS');
    expect(await outcome(tokens, token, { scope: 'admin' })).toBe('ERR_TOKEN_SCOPE');
  });

  it('property: random junk options never yield an accept that the same call without them would reject', async () => {
    const expired = (() => {
      const before = time.now;
      time.now = NOW - 3600_000;
      const old = tokens.issue({ sub: 'u' }).token;
      time.now = before;
      return old;
    })();
    const candidates = [token, expired, `${token}x`, 'garbage'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...candidates), junkOptions, async (candidate, options) => {
        const withJunk = await outcome(tokens, candidate, options);
        if (withJunk === 'accept') expect(await outcome(tokens, candidate)).toBe('accept');
      }),
      { numRuns: 500 },
    );
  });

  it('property: an option with an ill-formed value is never waved through (ERR_CONFIG, whatever the token)', async () => {
    // The reference: what a well-formed value of each option is (the docs' words, written out again).
    const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
    const wellFormed: Record<string, (value: unknown) => boolean> = {
      scope: (v) =>
        (typeof v === 'string' && v.split(' ').every((t) => scopeToken.test(t))) ||
        (Array.isArray(v) && v.every((t) => typeof t === 'string' && scopeToken.test(t))),
      maxAuthAge: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      audience: (v) =>
        (typeof v === 'string' && v.length > 0) ||
        (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string' && a.length > 0)),
    };
    await fc.assert(
      fc.asyncProperty(
        fc.record({ scope: junkValue, maxAuthAge: junkValue, audience: junkValue }, { requiredKeys: [] }),
        async (options) => {
          const bad = Object.entries(options).some(
            ([name, value]) => value !== undefined && !wellFormed[name]!(value),
          );
          fc.pre(bad);
          expect(await outcome(tokens, token, options)).toBe('ERR_CONFIG');
        },
      ),
      { numRuns: 300 },
    );
  });
});
