/**
 * Hostile input, by family (brief section 8). Every case is signed with the real key from hand-made
 * header and payload texts, so a valid signature carries the attack: what rejects it is the check
 * under test, not a broken signature.
 */
import { createPublicKey } from 'node:crypto';
import { isTesseraError, type Jwk, type TesseraErrorCode } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import {
  b64,
  ISSUER,
  keyFor,
  NOW_S,
  publicPart,
  setup,
  signCompact,
  signInput,
  validClaims,
  validHeader,
} from './helpers.js';

interface Case {
  readonly name: string;
  /** Header JSON text, or an object to serialise. */
  readonly header?: string | Record<string, unknown>;
  /** Payload JSON text, or an object to serialise. */
  readonly payload?: string | Record<string, unknown>;
  /** Or a whole token built from a valid one. */
  readonly token?: (valid: string, jwk: Jwk) => string;
  readonly code: TesseraErrorCode;
}

const text = (
  value: string | Record<string, unknown> | undefined,
  fallback: Record<string, unknown>,
): string => (typeof value === 'string' ? value : JSON.stringify(value ?? fallback));

const [header, payload, signature] = [0, 1, 2];
const segment = (token: string, index: number) => token.split('.')[index]!;

const families: Record<string, (jwk: Jwk) => Case[]> = {
  algorithm: (jwk) => [
    {
      name: 'alg none, empty signature',
      token: (t) => `${b64(JSON.stringify(validHeader(jwk, { alg: 'none' })))}.${segment(t, payload)}.`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'alg none with a signature',
      header: validHeader(jwk, { alg: 'none' }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    { name: 'alg None (case)', header: validHeader(jwk, { alg: 'None' }), code: 'ERR_TOKEN_SIGNATURE' },
    {
      name: 'alg lower case',
      header: validHeader(jwk, { alg: jwk.alg.toLowerCase() }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'alg with a trailing space',
      header: validHeader(jwk, { alg: `${jwk.alg} ` }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    { name: 'alg as an array', header: validHeader(jwk, { alg: [jwk.alg] }), code: 'ERR_TOKEN_MALFORMED' },
    { name: 'alg missing', header: { kid: jwk.kid, typ: 'at+jwt' }, code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'another algorithm on this key',
      header: validHeader(jwk, { alg: jwk.alg === 'RS256' ? 'PS256' : 'RS256' }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    ...(jwk.kty === 'oct' ? [] : [algorithmConfusion(jwk)]),
  ],
  header: (jwk) => [
    { name: 'embedded jwk', header: validHeader(jwk, { jwk: publicPart(jwk) }), code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'jku',
      header: validHeader(jwk, { jku: 'https://evil.example/jwks.json' }),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'x5u',
      header: validHeader(jwk, { x5u: 'https://evil.example/cert.pem' }),
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'x5c', header: validHeader(jwk, { x5c: ['MIIB'] }), code: 'ERR_TOKEN_MALFORMED' },
    { name: 'crit', header: validHeader(jwk, { crit: ['exp'], exp: 1 }), code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'b64 false',
      header: validHeader(jwk, { b64: false, crit: ['b64'] }),
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'zip', header: validHeader(jwk, { zip: 'DEF' }), code: 'ERR_TOKEN_MALFORMED' },
    { name: 'enc (a JWE header)', header: validHeader(jwk, { enc: 'A256GCM' }), code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'kid path traversal',
      header: validHeader(jwk, { kid: '../../../../dev/null' }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    {
      name: 'kid SQL injection',
      header: validHeader(jwk, { kid: "x' UNION SELECT 'secret" }),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    { name: 'kid as a number', header: validHeader(jwk, { kid: 1 }), code: 'ERR_TOKEN_MALFORMED' },
    { name: 'kid empty', header: validHeader(jwk, { kid: '' }), code: 'ERR_TOKEN_MALFORMED' },
    // Without kid a token is verified only by the one key that fits its alg (other-issuers.test.ts).
    {
      name: 'kid missing and an alg no key has',
      header: { alg: jwk.alg === 'ES256' ? 'EdDSA' : 'ES256', typ: 'at+jwt' },
      code: 'ERR_TOKEN_SIGNATURE',
    },
    { name: 'kid missing and alg none', header: { alg: 'none', typ: 'at+jwt' }, code: 'ERR_TOKEN_SIGNATURE' },
    { name: 'kid __proto__', header: validHeader(jwk, { kid: '__proto__' }), code: 'ERR_TOKEN_SIGNATURE' },
    { name: 'kid toString', header: validHeader(jwk, { kid: 'toString' }), code: 'ERR_TOKEN_SIGNATURE' },
    { name: 'header is an array', header: '[1]', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'header is null', header: 'null', code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'header duplicate alg',
      header: `{"alg":"none","alg":"${jwk.alg}","kid":"${jwk.kid}","typ":"at+jwt"}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
  ],
  'structure and encoding': () => [
    { name: 'empty string', token: () => '', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'two segments', token: (t) => t.slice(0, t.lastIndexOf('.')), code: 'ERR_TOKEN_MALFORMED' },
    { name: 'four segments', token: (t) => `${t}.${segment(t, signature)}`, code: 'ERR_TOKEN_MALFORMED' },
    { name: 'five segments (JWE shape)', token: (t) => `${t}.a.b`, code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'empty payload segment',
      token: (t) => `${segment(t, header)}..${segment(t, signature)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'empty signature',
      token: (t) => `${segment(t, header)}.${segment(t, payload)}.`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'leading dot', token: (t) => `.${t}`, code: 'ERR_TOKEN_MALFORMED' },
    { name: 'trailing dot', token: (t) => `${t}.`, code: 'ERR_TOKEN_MALFORMED' },
    { name: 'padded signature', token: (t) => `${t}==`, code: 'ERR_TOKEN_SIGNATURE' },
    {
      name: 'padded payload, re-signed',
      token: (t, jwk) => resign(`${segment(t, header)}.${segment(t, payload)}=`, jwk),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'standard base64 (+ and /) payload, re-signed',
      token: (t, jwk) => resign(`${segment(t, header)}.${toStandard(segment(t, payload))}`, jwk),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'whitespace inside the payload, re-signed',
      token: (t, jwk) =>
        resign(
          `${segment(t, header)}.${segment(t, payload).slice(0, 8)} ${segment(t, payload).slice(8)}`,
          jwk,
        ),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'non-zero trailing bits in the signature',
      token: (t) => flipTrailingBits(t),
      code: 'ERR_TOKEN_SIGNATURE',
    },
    { name: 'signature one byte short', token: (t) => t.slice(0, -3), code: 'ERR_TOKEN_SIGNATURE' },
    { name: 'signature one byte long', token: (t) => `${t}AA`, code: 'ERR_TOKEN_SIGNATURE' },
    {
      name: 'non-ASCII character',
      token: (t) => `${t.slice(0, 10)}\u00e9${t.slice(11)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'NUL character',
      token: (t) => `${t.slice(0, 20)}\u0000${t.slice(21)}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'Bearer prefix left in', token: (t) => `Bearer ${t}`, code: 'ERR_TOKEN_MALFORMED' },
  ],
  JSON: () => [
    { name: 'payload not JSON', payload: '{sub: user}', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'payload an array', payload: '[]', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'payload null', payload: 'null', code: 'ERR_TOKEN_MALFORMED' },
    { name: 'payload a string', payload: '"claims"', code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'duplicate sub',
      payload: JSON.stringify(validClaims()).replace('"sub":"user-1"', '"sub":"user-1","sub":"admin"'),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'duplicate key spelled with an escape',
      payload: JSON.stringify(validClaims()).replace('"sub":"user-1"', '"sub":"user-1","\\u0073ub":"admin"'),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'duplicate key with whitespace',
      payload: JSON.stringify(validClaims()).replace('"sub":"user-1"', '"sub" : "user-1", "sub"\n:"admin"'),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'duplicate nested key',
      payload: JSON.stringify(validClaims({ org: { id: 1 } })).replace('"id":1', '"id":1,"id":2'),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: '__proto__ claim',
      payload: JSON.stringify(validClaims()).replace('{', '{"__proto__":{"admin":true},'),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'escaped __proto__ claim',
      payload: JSON.stringify(validClaims()).replace('{', '{"\\u005f_proto__":{"admin":true},'),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'nested __proto__',
      payload: JSON.stringify(validClaims({ org: {} })).replace(
        '"org":{}',
        '"org":{"__proto__":{"polluted":1}}',
      ),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'deep nesting',
      payload: JSON.stringify(validClaims({ deep: 0 })).replace(
        '"deep":0',
        `"deep":${'['.repeat(500)}${']'.repeat(500)}`,
      ),
      code: 'ERR_TOKEN_MALFORMED',
    },
    {
      name: 'byte order mark',
      payload: `\ufeff${JSON.stringify(validClaims())}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'trailing garbage', payload: `${JSON.stringify(validClaims())}x`, code: 'ERR_TOKEN_MALFORMED' },
    { name: 'two objects', payload: `${JSON.stringify(validClaims())}{}`, code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'invalid UTF-8',
      token: (_t, jwk) =>
        resign(
          `${b64(JSON.stringify(validHeader(jwk)))}.${b64(Buffer.concat([Buffer.from(JSON.stringify(validClaims()).slice(0, -1)), Buffer.from(',"x":"\xff\xfe"}', 'latin1')]))}`,
          jwk,
        ),
      code: 'ERR_TOKEN_MALFORMED',
    },
  ],
  time: () => [
    { name: 'exp missing', payload: validClaims({ exp: undefined }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'exp a string', payload: validClaims({ exp: String(NOW_S + 600) }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'exp fractional', payload: validClaims({ exp: NOW_S + 600.5 }), code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'exp 1e400 (Infinity)',
      payload: JSON.stringify(validClaims()).replace(/"exp":\d+/, '"exp":1e400'),
      code: 'ERR_TOKEN_CLAIMS',
    },
    { name: 'exp beyond safe integers', payload: validClaims({ exp: 2 ** 60 }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'exp null', payload: validClaims({ exp: null }), code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'exp in the past',
      payload: validClaims({ iat: NOW_S - 700, exp: NOW_S - 100 }),
      code: 'ERR_TOKEN_EXPIRED',
    },
    {
      name: 'lifetime over policy',
      payload: validClaims({ iat: NOW_S - 10, exp: NOW_S + 3600 }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    {
      name: 'exp before iat',
      payload: validClaims({ iat: NOW_S, exp: NOW_S - 1 }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    { name: 'iat missing', payload: validClaims({ iat: undefined }), code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'iat in the future',
      payload: validClaims({ iat: NOW_S + 120, exp: NOW_S + 600 }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    {
      name: 'iat negative zero-lifetime trick',
      payload: validClaims({ iat: -1e15, exp: NOW_S + 600 }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    {
      name: 'nbf in the future',
      payload: validClaims({ nbf: NOW_S + 120 }),
      code: 'ERR_TOKEN_NOT_YET_VALID',
    },
    { name: 'nbf a string', payload: validClaims({ nbf: 'now' }), code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'auth_time in the future',
      payload: validClaims({ auth_time: NOW_S + 3600 }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    {
      name: 'auth_time fractional',
      payload: validClaims({ auth_time: NOW_S - 0.5 }),
      code: 'ERR_TOKEN_CLAIMS',
    },
  ],
  'identity and type': (jwk) => [
    {
      name: 'another issuer',
      payload: validClaims({ iss: 'https://evil.example.com' }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    {
      name: 'issuer with a trailing slash',
      payload: validClaims({ iss: `${ISSUER}/` }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    { name: 'issuer as an array', payload: validClaims({ iss: [ISSUER] }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'issuer missing', payload: validClaims({ iss: undefined }), code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'another audience',
      payload: validClaims({ aud: 'https://other.example.com' }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    { name: 'audience missing', payload: validClaims({ aud: undefined }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'audience empty array', payload: validClaims({ aud: [] }), code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'audience array with a non-string',
      payload: validClaims({ aud: [validClaims()['aud'], 1] }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    { name: 'typ missing', header: { alg: jwk.alg, kid: jwk.kid }, code: 'ERR_TOKEN_CLAIMS' },
    {
      name: 'typ JWT (an ID token or other JWT)',
      header: validHeader(jwk, { typ: 'JWT' }),
      code: 'ERR_TOKEN_CLAIMS',
    },
    { name: 'typ refresh', header: validHeader(jwk, { typ: 'rt+jwt' }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'sub missing', payload: validClaims({ sub: undefined }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'sub empty', payload: validClaims({ sub: '' }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'sub a number', payload: validClaims({ sub: 42 }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'jti missing', payload: validClaims({ jti: undefined }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'scope an array', payload: validClaims({ scope: ['admin'] }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'sid a number', payload: validClaims({ sid: 7 }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'client_id an object', payload: validClaims({ client_id: {} }), code: 'ERR_TOKEN_CLAIMS' },
    { name: 'epoch negative', payload: validClaims({ epoch: -1 }), code: 'ERR_TOKEN_CLAIMS' },
  ],
  size: () => [
    {
      name: 'token over 8 KiB',
      payload: validClaims({ pad: 'x'.repeat(9000) }),
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'a megabyte of garbage', token: () => 'a'.repeat(1 << 20), code: 'ERR_TOKEN_MALFORMED' },
    { name: 'a megabyte of dots', token: () => '.'.repeat(1 << 20), code: 'ERR_TOKEN_MALFORMED' },
    {
      name: 'huge header',
      header: `{"alg":"EdDSA","kid":"k","typ":"at+jwt","x":"${'y'.repeat(10_000)}"}`,
      code: 'ERR_TOKEN_MALFORMED',
    },
    { name: 'not a string', token: () => 12345 as unknown as string, code: 'ERR_TOKEN_MALFORMED' },
    { name: 'undefined', token: () => undefined as unknown as string, code: 'ERR_TOKEN_MALFORMED' },
  ],
};

/** HS256 keyed with the bytes of the public key: the classic confusion against a verifier that lets the token pick the algorithm. */
function algorithmConfusion(jwk: Jwk): Case {
  return {
    name: 'HS256 keyed with the public key (algorithm confusion)',
    token: (t) => {
      const input = `${b64(JSON.stringify(validHeader(jwk, { alg: 'HS256' })))}.${segment(t, payload)}`;
      const publicPem = createPublicKey({ key: { ...publicPart(jwk) }, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      const secret: Jwk = {
        kty: 'oct',
        kid: jwk.kid,
        alg: 'HS256',
        k: Buffer.from(publicPem).toString('base64url'),
      };
      return `${input}.${signInput(input, secret)}`;
    },
    code: 'ERR_TOKEN_SIGNATURE',
  };
}
const resign = (input: string, jwk: Jwk) => `${input}.${signInput(input, jwk)}`;
const toStandard = (s: string) => {
  const standard = s.replace(/-/g, '+').replace(/_/g, '/');
  return standard === s ? `${s.slice(0, -4)}+/${s.slice(-2)}` : standard;
};
function flipTrailingBits(token: string): string {
  const sig = segment(token, signature);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(sig.at(-1)!);
  return `${token.slice(0, -1)}${alphabet[last ^ 1]}`;
}

for (const alg of ['EdDSA', 'ES256', 'RS256', 'HS256'] as const) {
  describe(`hostile tokens (${alg})`, async () => {
    const { tokens, key } = await setup(alg);
    const valid = signCompact(JSON.stringify(validHeader(key)), JSON.stringify(validClaims()), key);

    it('the hand-made baseline token is accepted (so each case below tests one change)', async () => {
      await expect(tokens.verify(valid)).resolves.toMatchObject({ sub: 'user-1' });
    });

    for (const [family, build] of Object.entries(families)) {
      describe(family, () => {
        for (const testCase of build(key)) {
          it(`rejects: ${testCase.name} (${testCase.code})`, async () => {
            const token = testCase.token
              ? testCase.token(valid, key)
              : signCompact(
                  text(testCase.header, validHeader(key)),
                  text(testCase.payload, validClaims()),
                  key,
                );
            const outcome = await tokens.verify(token).then(
              () => undefined,
              (error: unknown) => error,
            );
            expect(isTesseraError(outcome), `expected a TesseraError, got ${String(outcome)}`).toBe(true);
            expect((outcome as { code: string }).code).toBe(testCase.code);
          });
        }
      });
    }
  });
}

describe('prototype safety', () => {
  it('a rejected __proto__ claim pollutes nothing', async () => {
    const { tokens, key } = await setup('EdDSA');
    const payload = JSON.stringify(validClaims()).replace('{', '{"__proto__":{"polluted":true},');
    await expect(
      tokens.verify(signCompact(JSON.stringify(validHeader(key)), payload, key)),
    ).rejects.toThrow();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('claims named like Object.prototype members are plain data', async () => {
    const { tokens, key } = await setup('EdDSA');
    const payload = JSON.stringify(validClaims({ constructor: 'x', toString: 'y', hasOwnProperty: 'z' }));
    const claims = await tokens.verify(signCompact(JSON.stringify(validHeader(key)), payload, key));
    expect(claims['constructor']).toBe('x');
    expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
  });

  it('keeps working for the key the header names only: typ may be spelled as the media type', async () => {
    const { tokens, key } = await keyFor('EdDSA').then(async () => setup('EdDSA'));
    for (const typ of ['application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      await expect(
        tokens.verify(
          signCompact(JSON.stringify(validHeader(key, { typ })), JSON.stringify(validClaims()), key),
        ),
      ).resolves.toBeTruthy();
    }
  });
});
