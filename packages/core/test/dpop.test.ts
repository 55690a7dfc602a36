import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  createAccessTokens,
  createDpopNonces,
  createDpopVerifier,
  type DpopVerifierOptions,
  type Jwk,
} from '@tessera/core';
import * as dpop from 'dpop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  b64,
  fixedClock,
  ISSUER,
  keyFor,
  NOW,
  NOW_S,
  publicPart,
  rejection,
  signCompact,
} from './helpers.js';
import { ED25519_SMALL_ORDER } from './vectors/weak-keys.js';

/**
 * DPoP (RFC 9449): proofs made by an independent client (panva's `dpop`) verify; the hostile-proof
 * catalogue is refused with ERR_DPOP_PROOF and its reason; a replayed proof is refused once per key;
 * and a bound token (`cnf.jkt`) verifies only with a proof by its key.
 */

const URL_ = 'https://api.example.com/orders';
const clock = fixedClock(NOW);
const NONCE_SECRET = randomBytes(32);
const nonces = createDpopNonces({ secret: NONCE_SECRET, clock: clock.clock, period: 300 });

function verifier(options: DpopVerifierOptions = {}) {
  return createDpopVerifier({ clock: clock.clock, nonces, ...options });
}

/** A proof with any header and claims, signed by `signer` (a private JWK), independently of tessera. */
function craft(
  signer: Jwk,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  alg = signer.alg,
) {
  return signCompact(JSON.stringify(header), JSON.stringify(claims), signer, alg);
}

const publicJwkOf = (key: Jwk) => {
  const { kid: _kid, alg: _alg, use: _use, ...rest } = publicPart(key) as Jwk & Record<string, unknown>;
  return rest;
};

async function proofParts(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const key = await keyFor(alg, `dpop-${alg}`);
  const header = { typ: 'dpop+jwt', alg, jwk: publicJwkOf(key) };
  const claims = { jti: 'proof-1', htm: 'GET', htu: URL_, iat: NOW_S };
  return { key, header, claims };
}

describe('DPoP proofs from an independent client (panva/dpop)', () => {
  it.each(['ES256', 'Ed25519'] as const)(
    '%s: a proof verifies and names the key by its RFC 7638 thumbprint',
    async (alg) => {
      const keyPair = await dpop.generateKeyPair(alg);
      const proof = await dpop.generateProof(keyPair, URL_, 'GET');
      const verified = await createDpopVerifier().verify(proof, { method: 'GET', url: URL_ });
      expect(verified.jkt).toBe(await dpop.calculateThumbprint(keyPair.publicKey));
    },
  );

  it('with an access token (ath) and a server nonce', async () => {
    const serverNonces = createDpopNonces({ secret: randomBytes(32) });
    const keyPair = await dpop.generateKeyPair('ES256');
    const proof = await dpop.generateProof(
      keyPair,
      `${URL_}?page=2#x`,
      'POST',
      await serverNonces.current(),
      'the-access-token',
    );
    await expect(
      createDpopVerifier({ nonces: serverNonces }).verify(proof, {
        method: 'POST',
        url: URL_,
        accessToken: 'the-access-token',
        requireNonce: true,
      }),
    ).resolves.toBeTruthy();
  });
});

describe('hostile DPoP proofs', () => {
  it('the catalogue: each is refused with ERR_DPOP_PROOF and its reason', async () => {
    const { key, header, claims } = await proofParts();
    const other = await keyFor('ES256', 'dpop-other');
    const ed = await keyFor('EdDSA', 'dpop-ed');
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' });
    const smallOrder = Buffer.from(ED25519_SMALL_ORDER[0]![1], 'hex').toString('base64url');
    const hmac = await keyFor('HS256', 'dpop-hs');
    const foreignNonce = await createDpopNonces({ secret: randomBytes(32), clock: clock.clock }).current();
    const cases: [string, string | (() => string), string, Record<string, unknown>?][] = [
      ['empty', '', 'missing'],
      ['too large', `${'a'.repeat(5000)}.b.c`, 'too_large'],
      ['not ASCII', `${craft(key, header, claims)}é`, 'not_ascii'],
      ['two segments', () => craft(key, header, claims).split('.').slice(0, 2).join('.'), 'structure'],
      [
        'padded header',
        () => {
          const [h, p, s] = craft(key, header, claims).split('.');
          return `${h}=.${p}.${s}`;
        },
        'header_encoding',
      ],
      ['typ JWT', () => craft(key, { ...header, typ: 'JWT' }, claims), 'typ'],
      ['typ missing', () => craft(key, { alg: header.alg, jwk: header.jwk }, claims), 'typ'],
      [
        'typ at+jwt (an access token as a proof)',
        () => craft(key, { ...header, typ: 'at+jwt' }, claims),
        'typ',
      ],
      [
        'alg none',
        () => `${b64(JSON.stringify({ ...header, alg: 'none' }))}.${b64(JSON.stringify(claims))}.c2ln`,
        'alg',
      ],
      ['alg HS256', () => craft(hmac, { ...header, alg: 'HS256' }, claims), 'alg'],
      [
        'alg outside the allow-list (PS256 by default)',
        () => craft(key, { ...header, alg: 'PS256' }, claims),
        'alg',
      ],
      ['no jwk', () => craft(key, { typ: 'dpop+jwt', alg: 'ES256' }, claims), 'jwk_missing'],
      [
        'jwk with the private key',
        () => craft(key, { ...header, jwk: { ...header.jwk, d: key.d } }, claims),
        'jwk_private',
      ],
      [
        'jwk of another type than alg',
        () => craft(key, { ...header, jwk: publicJwkOf(ed) }, claims),
        'jwk_invalid',
      ],
      [
        'jwk off the curve',
        () => craft(key, { ...header, jwk: { ...header.jwk, y: header.jwk['x'] } }, claims),
        'jwk_invalid',
      ],
      [
        'jwk an Ed25519 small-order point',
        () =>
          craft(
            ed,
            { typ: 'dpop+jwt', alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: smallOrder } },
            claims,
          ),
        'jwk_weak',
      ],
      ['kid header', () => craft(key, { ...header, kid: 'k' }, claims), 'header_parameter'],
      [
        'jku header',
        () => craft(key, { ...header, jku: 'https://evil.example' }, claims),
        'header_parameter',
      ],
      ['crit header', () => craft(key, { ...header, crit: ['htm'] }, claims), 'header_parameter'],
      ['signed by another key than jwk', () => craft(other, header, claims), 'signature'],
      // One character off 86: a length of 1 mod 4 is never base64url. (Cutting 4 left 82 characters,
      // canonical whenever the random signature's last kept character had its 4 low bits clear: a
      // 1-in-16 flake.)
      ['signature cut short (not canonical)', () => craft(key, header, claims).slice(0, -1), 'encoding'],
      [
        'signature one byte short',
        () => {
          const proof = craft(key, header, claims);
          const dot = proof.lastIndexOf('.');
          return `${proof.slice(0, dot)}.${Buffer.from(proof.slice(dot + 1), 'base64url')
            .subarray(1)
            .toString('base64url')}`;
        },
        'signature',
      ],
      ['another method', () => craft(key, header, { ...claims, htm: 'POST' }), 'htm'],
      ['method in lower case', () => craft(key, header, { ...claims, htm: 'get' }), 'htm'],
      ['another path', () => craft(key, header, { ...claims, htu: 'https://api.example.com/admin' }), 'htu'],
      [
        'another host',
        () => craft(key, header, { ...claims, htu: 'https://evil.example.com/orders' }),
        'htu',
      ],
      [
        'http for https',
        () => craft(key, header, { ...claims, htu: 'http://api.example.com/orders' }),
        'htu',
      ],
      ['htu not a URI', () => craft(key, header, { ...claims, htu: 'orders' }), 'htu'],
      ['no jti', () => craft(key, header, { ...claims, jti: undefined }), 'jti'],
      ['iat too old', () => craft(key, header, { ...claims, iat: NOW_S - 61 }), 'iat_expired'],
      ['iat in the future', () => craft(key, header, { ...claims, iat: NOW_S + 6 }), 'iat_future'],
      ['iat fractional', () => craft(key, header, { ...claims, iat: NOW_S + 0.5 }), 'iat'],
      ['iat a string', () => craft(key, header, { ...claims, iat: String(NOW_S) }), 'iat'],
      ['ath without an access token', () => craft(key, header, { ...claims, ath: 'x' }), 'ath'],
      ['no ath with an access token', () => craft(key, header, claims), 'ath', { accessToken: 'token' }],
      [
        'ath of another token',
        () =>
          craft(key, header, { ...claims, ath: createHash('sha256').update('other').digest('base64url') }),
        'ath',
        { accessToken: 'token' },
      ],
      [
        'no nonce where one is required',
        () => craft(key, header, claims),
        'use_dpop_nonce',
        { requireNonce: true },
      ],
      [
        'a forged nonce',
        () => craft(key, header, { ...claims, nonce: 'mxyz.AAAAAAAAAAAAAAAAAAAAAA' }),
        'use_dpop_nonce',
        { requireNonce: true },
      ],
      [
        'a nonce of another fleet',
        () => craft(key, header, { ...claims, nonce: foreignNonce }),
        'use_dpop_nonce',
        { requireNonce: true },
      ],
      [
        'duplicate claim',
        () =>
          signCompact(
            JSON.stringify(header),
            JSON.stringify(claims).replace('"htm":"GET"', '"htm":"POST","htm":"GET"'),
            key,
          ),
        'payload_duplicate_key',
      ],
      [
        '__proto__ claim',
        () =>
          signCompact(JSON.stringify(header), JSON.stringify(claims).replace('{', '{"__proto__":{},'), key),
        'payload_proto_key',
      ],
    ];
    const rsaVerifier = verifier({ algorithms: ['RS256'] });
    const rsaProof = craft(
      { ...(rsa1024 as unknown as Jwk), alg: 'RS256', kid: 'r' },
      { typ: 'dpop+jwt', alg: 'RS256', jwk: { kty: 'RSA', n: rsa1024.n, e: rsa1024.e } },
      claims,
    );
    expect(await rejection(rsaVerifier.verify(rsaProof, { method: 'GET', url: URL_ }))).toMatchObject({
      code: 'ERR_DPOP_PROOF',
      reason: 'jwk_weak',
    });
    for (const [name, make, reason, extra] of cases) {
      const proof = typeof make === 'string' ? make : make();
      const error = await rejection(verifier().verify(proof, { method: 'GET', url: URL_, ...extra }));
      expect({ name, code: error.code, reason: (error as { reason?: string }).reason }).toEqual({
        name,
        code: 'ERR_DPOP_PROOF',
        reason,
      });
      // Never the proof itself in the message.
      if (proof.length > 20) expect(error.message).not.toContain(proof.slice(-20));
    }
  });

  it('htu is compared after RFC 3986 normalisation, without query and fragment', async () => {
    const { key, header, claims } = await proofParts();
    for (const [htu, url] of [
      ['HTTPS://API.EXAMPLE.COM:443/orders', URL_],
      ['https://api.example.com/orders?x=1#frag', 'https://api.example.com/orders?y=2'],
      ['https://api.example.com/%7euser/a/../b', 'https://api.example.com/~user/b'],
      ['https://api.example.com/caf%c3%a9', 'https://api.example.com/caf%C3%A9'],
    ] as const) {
      const proof = craft(key, header, { ...claims, jti: `n-${htu}`, htu });
      await expect(verifier().verify(proof, { method: 'GET', url })).resolves.toBeTruthy();
    }
  });

  it('property: any tampered character of a valid proof is refused', async () => {
    const keyPair = await dpop.generateKeyPair('ES256');
    const proof = await dpop.generateProof(keyPair, URL_, 'GET');
    const instance = createDpopVerifier();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: proof.length - 1 }),
        fc.constantFrom(...'AQgw_-.=+/ é'),
        async (at, character) => {
          fc.pre(proof[at] !== character);
          const tampered = proof.slice(0, at) + character + proof.slice(at + 1);
          expect((await rejection(instance.verify(tampered, { method: 'GET', url: URL_ }))).code).toBe(
            'ERR_DPOP_PROOF',
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('DPoP replay', () => {
  it('a proof is accepted once; the same jti by another key is another proof', async () => {
    const instance = verifier();
    const { key, header, claims } = await proofParts();
    const proof = craft(key, header, claims);
    await instance.verify(proof, { method: 'GET', url: URL_ });
    expect(await rejection(instance.verify(proof, { method: 'GET', url: URL_ }))).toMatchObject({
      reason: 'replayed',
    });
    const { key: edKey, header: edHeader } = await proofParts('EdDSA');
    await expect(
      instance.verify(craft(edKey, edHeader, claims), { method: 'GET', url: URL_ }),
    ).resolves.toBeTruthy();
  });

  it('fails closed: a full or failing replay cache is ERR_UNAVAILABLE, never an accept', async () => {
    const { key, header, claims } = await proofParts();
    const full = verifier({ maxRememberedProofs: 1 });
    await full.verify(craft(key, header, { ...claims, jti: 'a' }), { method: 'GET', url: URL_ });
    expect(
      (
        await rejection(
          full.verify(craft(key, header, { ...claims, jti: 'b' }), { method: 'GET', url: URL_ }),
        )
      ).code,
    ).toBe('ERR_UNAVAILABLE');
    const broken = verifier({ replay: { remember: () => Promise.reject(new Error('down')) } });
    expect(
      (await rejection(broken.verify(craft(key, header, claims), { method: 'GET', url: URL_ }))).code,
    ).toBe('ERR_UNAVAILABLE');
  });

  it('an entry expires with the proof window, and memory stays bounded', async () => {
    const time = fixedClock(NOW);
    const instance = createDpopVerifier({ clock: time.clock, maxRememberedProofs: 3 });
    const { key, header, claims } = await proofParts();
    for (let i = 0; i < 10; i += 1) {
      const proof = craft(key, header, { ...claims, jti: `w-${i}`, iat: Math.floor(time.now / 1000) });
      await instance.verify(proof, { method: 'GET', url: URL_ });
      time.now += 30_000; // two windows of 60 s + 5 s hold at most three proofs
    }
  });
});

describe('DPoP-bound access tokens (cnf.jkt)', () => {
  // Real time: panva's client stamps its proofs with the clock of the machine.
  async function bound() {
    const tokens = createAccessTokens({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { sign: await keyFor('EdDSA') },
      dpop: createDpopVerifier(),
      cache: true,
    });
    const keyPair = await dpop.generateKeyPair('ES256');
    const jkt = await dpop.calculateThumbprint(keyPair.publicKey);
    const { token, claims } = tokens.issue({ sub: 'alice', jkt });
    const proofFor = (accessToken: string, pair = keyPair) =>
      dpop.generateProof(pair, URL_, 'GET', undefined, accessToken);
    return { tokens, keyPair, jkt, token, claims, proofFor };
  }

  it('carries cnf.jkt and verifies with a proof by its key, every time', async () => {
    const { tokens, jkt, token, claims, proofFor } = await bound();
    expect(claims.cnf).toEqual({ jkt });
    for (let i = 0; i < 3; i += 1) {
      const proof = await proofFor(token);
      await expect(
        tokens.verify(token, { dpop: { proof, method: 'GET', url: URL_ } }),
      ).resolves.toMatchObject({ sub: 'alice' });
    }
  });

  it('is refused as a bearer token, with another key’s proof, or with a proof for another token', async () => {
    const { tokens, token, proofFor } = await bound();
    expect(await rejection(tokens.verify(token))).toMatchObject({
      code: 'ERR_DPOP_PROOF',
      reason: 'proof_required',
    });
    const thief = await dpop.generateKeyPair('ES256');
    expect(
      await rejection(
        tokens.verify(token, { dpop: { proof: await proofFor(token, thief), method: 'GET', url: URL_ } }),
      ),
    ).toMatchObject({
      reason: 'key_mismatch',
    });
    const otherToken = tokens.issue({ sub: 'alice', jkt: (await bound()).jkt }).token;
    expect(
      await rejection(
        tokens.verify(token, { dpop: { proof: await proofFor(otherToken), method: 'GET', url: URL_ } }),
      ),
    ).toMatchObject({
      reason: 'ath',
    });
    // The cached claims of a verified bound token never skip the binding.
    await tokens.verify(token, { dpop: { proof: await proofFor(token), method: 'GET', url: URL_ } });
    expect(await rejection(tokens.verify(token))).toMatchObject({ reason: 'proof_required' });
  });

  it('a proof beside an unbound token binds nothing (token_not_bound)', async () => {
    const { tokens, proofFor } = await bound();
    const unbound = tokens.issue({ sub: 'bob' }).token;
    expect(
      await rejection(
        tokens.verify(unbound, { dpop: { proof: await proofFor(unbound), method: 'GET', url: URL_ } }),
      ),
    ).toMatchObject({
      reason: 'token_not_bound',
    });
  });

  it('refuses a jkt that is no thumbprint, a cnf without jkt, and dpop without a verifier', async () => {
    const { tokens } = await bound();
    expect(() => tokens.issue({ sub: 'a', jkt: 'short' })).toThrow(
      expect.objectContaining({ code: 'ERR_TOKEN_CLAIMS' }),
    );
    const key = await keyFor('EdDSA');
    const forged = signCompact(
      JSON.stringify({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' }),
      JSON.stringify({
        iss: ISSUER,
        sub: 'a',
        aud: AUDIENCE,
        iat: NOW_S,
        exp: NOW_S + 60,
        jti: 'j',
        client_id: 'c',
        cnf: { x5t: 'y' },
      }),
      key,
    );
    expect(await rejection(tokens.verify(forged))).toMatchObject({ code: 'ERR_TOKEN_CLAIMS', claim: 'cnf' });
    const plain = createAccessTokens({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { sign: key },
      clock: clock.clock,
    });
    expect(
      await rejection(
        plain.verify(plain.issue({ sub: 'a' }).token, { dpop: { proof: 'x', method: 'GET', url: URL_ } }),
      ),
    ).toMatchObject({
      code: 'ERR_CONFIG',
    });
    expect(
      await rejection(plain.verify('x', { dpop: { proof: 1, method: 'GET', url: URL_ } as never })),
    ).toMatchObject({ code: 'ERR_CONFIG' });
  });
});

describe('DPoP server nonces', () => {
  it('rotate: the current and the previous period are accepted, older or forged ones are not', async () => {
    const time = fixedClock(NOW);
    const fleet = [0, 1].map(() => createDpopNonces({ secret: NONCE_SECRET, clock: time.clock, period: 60 }));
    const first = await fleet[0]!.current();
    expect(await fleet[1]!.current()).toBe(first); // a fleet shares one secret: one nonce
    expect(await fleet[1]!.check(first)).toBe(true);
    time.now += 60_000;
    expect(await fleet[0]!.current()).not.toBe(first);
    expect(await fleet[1]!.check(first)).toBe(true); // the previous period
    time.now += 60_000;
    expect(await fleet[1]!.check(first)).toBe(false); // two periods old
    const other = createDpopNonces({ secret: randomBytes(32), clock: time.clock, period: 60 });
    expect(await fleet[0]!.check(await other.current())).toBe(false);
    const current = await fleet[0]!.current();
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), async (junk) => {
        expect(await fleet[0]!.check(junk)).toBe(junk === current);
      }),
      { numRuns: 100 },
    );
  });

  it('a proof with the current nonce is accepted where one is required; requireNonce without nonces is ERR_CONFIG', async () => {
    const { key, header, claims } = await proofParts();
    const proof = craft(key, header, { ...claims, jti: 'with-nonce', nonce: await nonces.current() });
    await expect(
      verifier().verify(proof, { method: 'GET', url: URL_, requireNonce: true }),
    ).resolves.toBeTruthy();
    const without = createDpopVerifier({ clock: clock.clock });
    const another = craft(key, header, { ...claims, jti: 'no-nonces' });
    expect(
      await rejection(without.verify(another, { method: 'GET', url: URL_, requireNonce: true })),
    ).toMatchObject({
      code: 'ERR_CONFIG',
    });
  });

  it('refuses a weak or missing secret and a bad period (ERR_CONFIG)', () => {
    for (const options of [
      {},
      { secret: new Uint8Array(32) },
      { secret: randomBytes(16) },
      { secret: randomBytes(32), period: 1 },
    ]) {
      expect(() => createDpopNonces(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
    }
  });
});

describe('DPoP verifier options', () => {
  it.each([
    { algorithms: ['HS256'] },
    { algorithms: ['none'] },
    { algorithms: [] },
    { maxAge: 0 },
    { maxAge: 3600 },
    { maxProofBytes: 10 },
    { replay: {} },
    { unknown: 1 },
  ])('refuses %j (ERR_CONFIG)', (options) => {
    expect(() => createDpopVerifier(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });
});
