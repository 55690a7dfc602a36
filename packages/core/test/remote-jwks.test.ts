import {
  type AccessTokens,
  createAccessTokens,
  createRemoteJwks,
  type Jwk,
  type RemoteJwksOptions,
} from '@tessera/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AUDIENCE,
  type Clock,
  fixedClock,
  ISSUER,
  keyFor,
  publicPart,
  rejection,
  signCompact,
  validClaims,
  validHeader,
} from './helpers.js';
import { ANSWER_AT_ONCE, type JwksServer, startJwksServer } from './support/jwks-server.js';
import { ED25519_SMALL_ORDER } from './vectors/weak-keys.js';

/**
 * A verify-only instance behind a remote JWK Set, against a real HTTP server on loopback: rotation,
 * outage, slow, huge and malformed answers, unusable keys, Cache-Control, and a `kid` flood (the
 * server counts the requests it caused).
 */

let server: JwksServer;
let time: Clock;
let warnings: { message: string; code: string | undefined }[];

beforeAll(async () => {
  server = await startJwksServer();
});
afterAll(() => server.close());
beforeEach(() => {
  time = fixedClock();
  server.requests = 0;
  Object.assign(server.behaviour, ANSWER_AT_ONCE, { headers: {} });
  warnings = [];
  vi.spyOn(process, 'emitWarning').mockImplementation(((message: string, options?: { code?: string }) => {
    warnings.push({ message: String(message), code: options?.code });
  }) as typeof process.emitWarning);
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function issuerWith(sign: Jwk, verify: Jwk[] = []): Promise<AccessTokens> {
  return createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { sign, verify },
    clock: time.clock,
  });
}

function resourceServer(options: RemoteJwksOptions = {}, extra: Record<string, unknown> = {}) {
  const remote = createRemoteJwks(server.url, { clock: time.clock, ...options });
  const tokens = createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { remote },
    clock: time.clock,
    ...extra,
  });
  return { remote, tokens };
}

const serve = (...keys: unknown[]) => {
  server.behaviour.body = { keys };
};

describe('remote JWK Set: verification', () => {
  it.each(['EdDSA', 'Ed25519', 'ES256', 'RS256', 'PS256'] as const)(
    'verifies %s tokens with the keys it downloaded, and fetches once',
    async (alg) => {
      const key = await keyFor(alg);
      const issuer = await issuerWith(key);
      server.behaviour.body = issuer.jwks();
      const { tokens } = resourceServer();
      for (let i = 0; i < 20; i += 1) {
        await expect(tokens.verify(issuer.issue({ sub: `user-${i}` }).token)).resolves.toMatchObject({
          sub: `user-${i}`,
        });
      }
      expect(server.requests).toBe(1);
    },
  );

  it('nothing is fetched before the first use; refresh() fetches at once and fails loudly', async () => {
    serve(publicPart(await keyFor('EdDSA')));
    const { remote } = resourceServer();
    expect(server.requests).toBe(0);
    await remote.refresh();
    expect(server.requests).toBe(1);
    expect(remote.status()).toMatchObject({ kids: ['test-EdDSA'], fresh: true, downloads: 1, failures: 0 });
    server.behaviour.status = 500;
    expect((await rejection(remote.refresh())).code).toBe('ERR_UNAVAILABLE');
  });

  it('the keys it publishes stay its own: jwks() of a verify-only instance is empty', async () => {
    serve(publicPart(await keyFor('EdDSA')));
    expect(resourceServer().tokens.jwks().keys).toEqual([]);
  });

  it('a key of the set that signs with another alg than its own is refused (the key decides)', async () => {
    const key = await keyFor('ES256');
    serve(publicPart(key));
    const { tokens } = resourceServer();
    const token = signCompact(
      JSON.stringify(validHeader(key, { alg: 'RS256' })),
      JSON.stringify(validClaims()),
      key,
      'ES256',
    );
    expect(await rejection(tokens.verify(token))).toMatchObject({
      code: 'ERR_TOKEN_SIGNATURE',
      reason: 'alg_not_allowed',
    });
  });
});

describe('remote JWK Set: rotation and the kid flood', () => {
  it('a token under a new kid causes one refetch, after which it verifies', async () => {
    const k1 = await keyFor('EdDSA', 'r1');
    const k2 = await keyFor('EdDSA', 'r2');
    const old = await issuerWith(k1);
    serve(publicPart(k1));
    const { tokens } = resourceServer();
    await tokens.verify(old.issue({ sub: 'a' }).token);
    expect(server.requests).toBe(1);
    // The issuer rotates without pre-publishing; past the cool-down one refetch finds the new key.
    serve(publicPart(k2), publicPart(k1));
    time.now += 31_000;
    const rotated = await issuerWith(k2, [publicPart(k1)]);
    await expect(tokens.verify(rotated.issue({ sub: 'b' }).token)).resolves.toMatchObject({ sub: 'b' });
    expect(server.requests).toBe(2);
    await tokens.verify(old.issue({ sub: 'c' }).token);
    expect(server.requests).toBe(2);
  });

  it('within the cool-down an unknown kid is a 401 (ERR_TOKEN_SIGNATURE) without a request', async () => {
    const key = await keyFor('EdDSA');
    serve(publicPart(key));
    const { tokens } = resourceServer();
    const token = signCompact(
      JSON.stringify(validHeader(key, { kid: 'not-in-the-set' })),
      JSON.stringify(validClaims()),
      key,
    );
    expect(await rejection(tokens.verify(token))).toMatchObject({ code: 'ERR_TOKEN_SIGNATURE' });
    expect(server.requests).toBe(1);
    expect(await rejection(tokens.verify(token))).toMatchObject({ code: 'ERR_TOKEN_SIGNATURE' });
    expect(server.requests).toBe(1);
  });

  it('10,000 unknown kids cause at most one request per cool-down (counted at the server)', async () => {
    const key = await keyFor('EdDSA');
    serve(publicPart(key));
    const { tokens } = resourceServer({ cooldown: 30 });
    const payload = JSON.stringify(validClaims());
    const floodToken = (i: number) =>
      signCompact(JSON.stringify(validHeader(key, { kid: `random-${i}` })), payload, key);
    const flood = Array.from({ length: 10_000 }, (_, i) => floodToken(i));
    // Concurrently: one download serves every request waiting.
    const all = await Promise.allSettled(flood.map((token) => tokens.verify(token)));
    expect(all.every((r) => r.status === 'rejected')).toBe(true);
    expect(server.requests).toBe(1);
    // One after another, over 5 cool-downs of simulated time: one request per cool-down at most.
    for (let i = 0; i < 10_000; i += 1) {
      time.now += 15;
      await rejection(tokens.verify(flood[i]!));
    }
    const elapsedCooldowns = Math.ceil((10_000 * 15) / 30_000);
    expect(server.requests).toBeLessThanOrEqual(1 + elapsedCooldowns);
    expect(server.requests).toBeGreaterThan(1);
  });
});

describe('remote JWK Set: outage and the stale bound', () => {
  it('the issuer unreachable with no cached keys is ERR_UNAVAILABLE, never a 401', async () => {
    server.behaviour.status = 503;
    const { tokens } = resourceServer();
    const issuer = await issuerWith(await keyFor('EdDSA'));
    const error = await rejection(tokens.verify(issuer.issue({ sub: 'a' }).token));
    expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE', reason: 'jwks_unavailable' });
    // Every request in the cool-down answers at once, without a request of its own.
    for (let i = 0; i < 50; i += 1) await rejection(tokens.verify(issuer.issue({ sub: 'a' }).token));
    expect(server.requests).toBe(1);
    expect(warnings.some((w) => w.code === 'TESSERA_JWKS_UNAVAILABLE')).toBe(true);
  });

  it('with cached keys, verification goes on through an outage until staleFor past freshness', async () => {
    const key = await keyFor('EdDSA');
    const issuer = await issuerWith(key);
    serve(publicPart(key));
    const { tokens, remote } = resourceServer({ maxCacheAge: 600, defaultCacheAge: 600, staleFor: 3600 });
    await tokens.verify(issuer.issue({ sub: 'a' }).token);
    server.behaviour.status = 500;
    // Past freshness: a background refresh fails; the cached key keeps verifying.
    time.now += 601_000;
    await tokens.verify(issuer.issue({ sub: 'b' }).token);
    await vi.waitFor(() => expect(remote.status().failures).toBe(1));
    expect(remote.status()).toMatchObject({ fresh: false, usable: true, lastFailure: 'status' });
    time.now += 3000_000;
    await tokens.verify(issuer.issue({ sub: 'c' }).token);
    // Past the stale bound: fail closed.
    time.now += 600_001;
    const error = await rejection(tokens.verify(issuer.issue({ sub: 'd' }).token));
    expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE' });
    // The issuer is back: the next attempt after the cool-down restores service.
    server.behaviour.status = 200;
    time.now += 30_000;
    await expect(tokens.verify(issuer.issue({ sub: 'e' }).token)).resolves.toMatchObject({ sub: 'e' });
  });

  it('while the issuer is down, an unknown kid is ERR_UNAVAILABLE (it may be a key we cannot see)', async () => {
    const k1 = await keyFor('EdDSA', 'o1');
    serve(publicPart(k1));
    const { tokens } = resourceServer();
    await tokens.verify((await issuerWith(k1)).issue({ sub: 'a' }).token);
    server.behaviour.reset = true;
    time.now += 31_000;
    const k2 = await keyFor('EdDSA', 'o2');
    const error = await rejection(tokens.verify((await issuerWith(k2)).issue({ sub: 'b' }).token));
    expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });

  it('a slow answer (headers or body) times out: ERR_UNAVAILABLE within the timeout', async () => {
    const issuer = await issuerWith(await keyFor('EdDSA'));
    server.behaviour.body = issuer.jwks();
    for (const slow of [{ delayMs: 5000 }, { pieces: 40, pieceDelayMs: 100 }]) {
      Object.assign(server.behaviour, { delayMs: 0, pieces: 1, pieceDelayMs: 0, ...slow });
      const { tokens, remote } = resourceServer({ timeoutMs: 300 });
      const started = performance.now();
      const error = await rejection(tokens.verify(issuer.issue({ sub: 'a' }).token));
      expect(error).toMatchObject({ code: 'ERR_UNAVAILABLE' });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(remote.status().lastFailure).toBe('timeout');
    }
  });

  it('a redirect is not followed: a failed download (status), one request', async () => {
    const issuer = await issuerWith(await keyFor('EdDSA'));
    server.behaviour.body = issuer.jwks();
    server.behaviour.status = 302;
    server.behaviour.headers = { location: server.url };
    const { tokens, remote } = resourceServer();
    expect(await rejection(tokens.verify(issuer.issue({ sub: 'a' }).token))).toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    expect(remote.status().lastFailure).toBe('status');
    expect(server.requests).toBe(1);
  });

  it('a huge body is refused, declared or not (too_large), and never read whole', async () => {
    const issuer = await issuerWith(await keyFor('EdDSA'));
    const big = { keys: [...issuer.jwks().keys], padding: 'x'.repeat(200_000) };
    for (const headers of [{}, { 'content-length': String(JSON.stringify(big).length) }]) {
      server.behaviour.body = big;
      server.behaviour.headers = headers;
      server.behaviour.pieces = 20;
      const { tokens, remote } = resourceServer({ maxBytes: 65_536 });
      expect(await rejection(tokens.verify(issuer.issue({ sub: 'a' }).token))).toMatchObject({
        code: 'ERR_UNAVAILABLE',
      });
      expect(remote.status().lastFailure).toBe('too_large');
    }
  });

  it('property: any malformed body is an outage (ERR_UNAVAILABLE), never a crash or an accept', async () => {
    const issuer = await issuerWith(await keyFor('EdDSA'));
    const token = issuer.issue({ sub: 'a' }).token;
    const hostileBody = fc.oneof(
      fc.string(),
      fc.json(),
      fc.constantFrom(
        '',
        'null',
        '[]',
        '{"keys":{}}',
        '{"keys":null}',
        '{"keys":[null,1,"x",[]]}',
        '{"keys":[],"keys":[]}',
        '{"__proto__":{"keys":[]}}',
        `{"keys":${'['.repeat(5000)}`,
        '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","kid":"k"}]}',
        `{"keys":[${'{"kty":"EC","crv":"P-256","kid":"k"},'.repeat(200)}{}]}`,
      ),
      fc
        .array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 5 })
        .map((keys) => JSON.stringify({ keys })),
    );
    await fc.assert(
      fc.asyncProperty(hostileBody, async (body) => {
        server.behaviour.body = body;
        const { tokens } = resourceServer();
        const error = await rejection(tokens.verify(token));
        expect(error.code).toBe('ERR_UNAVAILABLE');
      }),
      { numRuns: 60 },
    );
  });
});

describe('remote JWK Set: unusable keys are skipped, never fatal for the set', () => {
  it('skips each unusable key with a warning and verifies with the usable one', async () => {
    const good = await keyFor('ES256', 'good');
    const issuer = await issuerWith(good);
    const rsa = publicPart(await keyFor('RS256', 'rsa-no-alg'));
    const { alg: _alg, ...rsaWithoutAlg } = rsa;
    serve(
      { kty: 'oct', kid: 'secret', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', alg: 'HS256' },
      { ...publicPart(await keyFor('EdDSA', 'enc')), use: 'enc' },
      rsaWithoutAlg,
      {
        kty: 'OKP',
        crv: 'Ed25519',
        kid: 'weak',
        alg: 'EdDSA',
        x: Buffer.from(ED25519_SMALL_ORDER[0]![1], 'hex').toString('base64url'),
      },
      { ...(await keyFor('EdDSA', 'private')) },
      { kty: 'EC', crv: 'P-384', kid: 'p384', x: 'AAAA', y: 'AAAA' },
      { ...publicPart(await keyFor('EdDSA', 'ops')), key_ops: ['encrypt'] },
      { ...publicPart(await keyFor('EdDSA', 'no-kid')), kid: undefined },
      publicPart(good),
      { ...publicPart(await keyFor('EdDSA', 'dup')), kid: 'good' },
    );
    const { tokens, remote } = resourceServer();
    await expect(tokens.verify(issuer.issue({ sub: 'a' }).token)).resolves.toMatchObject({ sub: 'a' });
    expect(remote.status().kids).toEqual(['good']);
    const skipped = warnings.filter((w) => w.code === 'TESSERA_JWKS_KEY_SKIPPED').map((w) => w.message);
    for (const reason of [
      'symmetric',
      'key_use',
      'no_alg',
      'weak_key',
      'private_key',
      'key_ops',
      'no_kid',
      'duplicate_kid',
    ]) {
      expect(skipped.some((message) => message.includes(`(${reason})`))).toBe(true);
    }
    expect(skipped.length).toBe(10 - 1);
    // Warnings never carry key material.
    for (const message of skipped) expect(message).not.toMatch(/"[nexyd]"|AQAB/);
  });

  it('rsaAlgorithm says what RSA keys without alg are (Entra ID publishes them so)', async () => {
    const rsa = await keyFor('RS256', 'entra');
    const { alg: _alg, ...withoutAlg } = publicPart(rsa);
    serve({ ...withoutAlg, x5t: 'thumb', x5c: ['MIIB'], issuer: 'https://login.example' });
    const { tokens } = resourceServer({ rsaAlgorithm: 'RS256' });
    await expect(tokens.verify((await issuerWith(rsa)).issue({ sub: 'a' }).token)).resolves.toBeTruthy();
  });

  it('a set whose every key is unusable is an outage (ERR_UNAVAILABLE)', async () => {
    serve({ ...publicPart(await keyFor('EdDSA', 'enc2')), use: 'enc' });
    const { tokens, remote } = resourceServer();
    const issuer = await issuerWith(await keyFor('EdDSA'));
    expect(await rejection(tokens.verify(issuer.issue({ sub: 'a' }).token))).toMatchObject({
      code: 'ERR_UNAVAILABLE',
    });
    expect(remote.status().lastFailure).toBe('no_usable_keys');
  });
});

describe('remote JWK Set: Cache-Control within bounds', () => {
  async function requestsAfter(cacheControl: string, advanceMs: number, options: RemoteJwksOptions = {}) {
    const key = await keyFor('EdDSA');
    const issuer = await issuerWith(key);
    serve(publicPart(key));
    server.behaviour.headers = { 'cache-control': cacheControl };
    server.requests = 0;
    const { tokens } = resourceServer(options);
    await tokens.verify(issuer.issue({ sub: 'a' }).token);
    time.now += advanceMs;
    await tokens.verify(issuer.issue({ sub: 'a' }).token);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return server.requests;
  }

  it('max-age is honoured: no request before it runs out, a background one after', async () => {
    expect(await requestsAfter('public, max-age=300', 299_000)).toBe(1);
    expect(await requestsAfter('public, max-age=300', 300_000)).toBe(2);
  });

  it('max-age below minCacheAge, no-store and no-cache are raised to minCacheAge', async () => {
    for (const control of ['max-age=1', 'no-store', 'no-cache, max-age=0']) {
      expect(await requestsAfter(control, 59_000, { minCacheAge: 60 })).toBe(1);
      expect(await requestsAfter(control, 60_000, { minCacheAge: 60 })).toBe(2);
    }
  });

  it('max-age above maxCacheAge is lowered to it; the Age header counts', async () => {
    expect(await requestsAfter('max-age=99999999', 3600_000, { maxCacheAge: 3600 })).toBe(2);
    server.behaviour.headers = {};
    expect(await requestsAfter('max-age=600", age=0', 599_000)).toBe(1);
  });
});

describe('remote JWK Set: options', () => {
  it.each([
    ['http: off loopback', 'http://auth.example/jwks', {}],
    ['not a URL', 'not a url', {}],
    ['credentials in the URL', 'https://user:pass@auth.example/jwks', {}],
    ['cooldown above minCacheAge', 'https://auth.example/jwks', { cooldown: 120, minCacheAge: 60 }],
    ['minCacheAge above maxCacheAge', 'https://auth.example/jwks', { minCacheAge: 7200 }],
    ['an unknown option', 'https://auth.example/jwks', { cacheMaxAge: 10 }],
    ['a timeout of 0', 'https://auth.example/jwks', { timeoutMs: 0 }],
    ['a header name with a space', 'https://auth.example/jwks', { headers: { 'x y': 'z' } }],
  ])('refuses %s (ERR_CONFIG)', (_name, url, options) => {
    expect(() => createRemoteJwks(url, options as RemoteJwksOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });

  it('keys.remote must come from createRemoteJwks, and no HMAC secret may stand beside it', async () => {
    const base = { issuer: ISSUER, audience: AUDIENCE };
    expect(() => createAccessTokens({ ...base, keys: { remote: { url: 'x' } as never } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
    const remote = createRemoteJwks('https://auth.example/jwks');
    const secret = await keyFor('HS256');
    expect(() => createAccessTokens({ ...base, keys: { remote, verify: [secret] } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', reason: 'mixed_key_families' }),
    );
  });
});
