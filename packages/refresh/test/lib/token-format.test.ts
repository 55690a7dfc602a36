import { platform } from '@tessera/core/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatToken, type MacSecret, parseToken, readToken } from '../../src/lib/token-format.js';

// readToken is hand-written index checks for speed; the regex below is the format's reference.
const REFERENCE =
  /^(rt1|rd1)\.([^.]{1,16})\.([A-Za-z0-9_-]{33})\.(0|[1-9][0-9]{0,15})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

function referenceRead(token: string) {
  if (token.length > 256) return undefined;
  const match = REFERENCE.exec(token);
  if (match === null) return undefined;
  const [, version, secretId, sessionId, generationText, nonce, mac] = match as unknown as string[];
  const generation = Number(generationText);
  if (!Number.isSafeInteger(generation)) return undefined;
  return {
    secretId,
    sessionId,
    generation,
    nonce,
    bound: version === 'rd1',
    signed: token.slice(0, token.lastIndexOf('.')),
    mac,
  };
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64 = (length: number) =>
  fc.string({ unit: fc.constantFrom(...B64URL), minLength: length, maxLength: length });
/** base64url of a length drawn uniformly from [min, max] (fast-check's own sizes favour short strings). */
const b64Between = (min: number, max: number) => fc.integer({ min, max }).chain(b64);
const generation = fc.oneof(fc.nat({ max: 1000 }), fc.constantFrom(0, 2 ** 53 - 1, 2 ** 53, 10 ** 16));
/** Secret ids of 0-18 characters: the format allows 1-16. */
const secretId = b64Between(0, 18);

/** A token of the right shape (but for the secret id's length) with an arbitrary, usually wrong, MAC. */
const wellFormed = fc
  .tuple(fc.constantFrom('rt1', 'rd1', 'rx1', 'rd2'), secretId, b64(33), generation, b64(43), b64(43))
  .map(([version, kid, sid, gen, nonce, mac]) => `${version}.${kid}.${sid}.${BigInt(gen)}.${nonce}.${mac}`);

/** Hostile characters: separators, digits, padding, controls, non-latin1, astral. */
const hostileChar = fc.oneof(
  fc.constantFrom('.', '0', '9', 'A', '-', '_', '=', '+', '/', ' ', '\n', '\0', 'é', 'ÿ', 'Ā', '😀'),
  fc.string({ minLength: 1, maxLength: 1 }),
);

type Mutation = (token: string) => string;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), hostileChar).map(
    ([at, c]): Mutation =>
      (t) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(i + 1);
      },
  ),
  fc.tuple(fc.nat(), hostileChar).map(
    ([at, c]): Mutation =>
      (t) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(i);
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (t) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + t.slice(i + 1);
      },
  ),
  fc.nat().map(
    (at): Mutation =>
      (t) =>
        t.slice(0, at % (t.length + 1)),
  ),
  fc.nat({ max: 300 }).map(
    (n): Mutation =>
      (t) =>
        t + 'A'.repeat(n),
  ),
);

const hostile = fc.oneof(
  fc.tuple(wellFormed, fc.array(mutation, { maxLength: 4 })).map(([t, ms]) => ms.reduce((x, m) => m(x), t)),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: fc.constantFrom('r', 't', '1', '.', 'A', '0', '_'), maxLength: 200 }),
);

const secret: MacSecret = { id: 'k1', mac: platform.hmacSha256(Buffer.alloc(32, 5)) };
const secrets = new Map([[secret.id, secret]]);

describe('readToken', () => {
  it('agrees with the reference regex on well-formed and hostile input', () => {
    fc.assert(
      fc.property(hostile, (token) => {
        expect(readToken(token)).toEqual(referenceRead(token));
      }),
      { numRuns: 5000 },
    );
  });

  it('rejects what is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['rt1'], Buffer.from('rt1.')])
      expect(readToken(value)).toBeUndefined();
  });

  // Regression examples at the edges of each field.
  it.each([
    ['a leading zero in the generation', '01'],
    ['a generation of 17 digits', '1'.repeat(17)],
    ['a generation past 2^53', '9007199254740993'],
    ['an empty generation', ''],
  ])('rejects %s', (_, gen) => {
    const token = `rt1.k1.${'A'.repeat(33)}.${gen}.${'n'.repeat(43)}.${'m'.repeat(43)}`;
    expect(readToken(token)).toBeUndefined();
    expect(referenceRead(token)).toBeUndefined();
  });
});

describe('parseToken', () => {
  const issued = fc.tuple(b64(33), generation, b64(43), fc.boolean()).map(([sid, gen, nonce, bound]) => ({
    sid,
    gen,
    nonce,
    bound,
    token: formatToken(secret, sid, gen, nonce, bound),
  }));

  it('round-trips every token formatToken makes', () => {
    fc.assert(
      fc.property(issued, ({ sid, gen, nonce, bound, token }) => {
        fc.pre(Number.isSafeInteger(gen));
        expect(parseToken(token, secrets)).toEqual({
          secretId: 'k1',
          sessionId: sid,
          generation: gen,
          nonce,
          bound,
          secret,
        });
      }),
    );
  });

  it('rejects every tampered token: any change to a genuine token fails the syntax or the MAC', () => {
    fc.assert(
      fc.property(issued, fc.array(mutation, { minLength: 1, maxLength: 3 }), ({ token }, ms) => {
        const tampered = ms.reduce((x, m) => m(x), token);
        fc.pre(tampered !== token);
        expect(parseToken(tampered, secrets)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it('the DPoP mark is under the MAC: a bound token relabelled unbound (or back) is refused', () => {
    fc.assert(
      fc.property(issued, ({ token, bound }) => {
        const relabelled = (bound ? 'rt1' : 'rd1') + token.slice(3);
        expect(parseToken(relabelled, secrets)).toBeUndefined();
      }),
    );
  });

  it('rejects a genuine token under another secret with the same id', () => {
    const token = formatToken(secret, 'A'.repeat(33), 3, 'n'.repeat(43));
    const other = new Map([['k1', { id: 'k1', mac: platform.hmacSha256(Buffer.alloc(32, 6)) }]]);
    expect(parseToken(token, other)).toBeUndefined();
    expect(parseToken(token, secrets)).toBeDefined();
  });
});
