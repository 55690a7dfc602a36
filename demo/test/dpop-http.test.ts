/**
 * DPoP over HTTP on every adapter (Express, Fastify, Hono): `Authorization: DPoP <token>` with a
 * `DPoP` proof made by panva's `dpop` client. A bound token works only with a proof by its key; as a
 * bearer token, with another key's proof, or with a replayed proof it is refused with the DPoP
 * challenge; one scheme per request; and a server nonce is asked for and honoured.
 */
import { createDpopKey } from '@tessera/client';
import type { AccessTokenClaims } from '@tessera/core';
import * as dpop from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from '../src/client.js';
import { FRAMEWORKS } from '../src/server.js';
import { ALICE, type App, startApp } from './support/app.js';

const ORIGIN = 'https://api.demo.tessera.test';
const PATH = '/api/orders';

describe.each(FRAMEWORKS)('DPoP on %s', (framework) => {
  let app: App;
  let nonceApp: App;
  beforeAll(async () => {
    app = await startApp(framework, 'memory', { dpop: { origin: ORIGIN } });
    nonceApp = await startApp(framework, 'memory', { dpop: { origin: ORIGIN, requireNonce: true } });
  });
  afterAll(async () => {
    await app?.close();
    await nonceApp?.close();
  });

  /** A session of alice's, and an access token of it bound to `keyPair` (as a DPoP token endpoint issues). */
  async function boundToken(target: App, keyPair: CryptoKeyPair): Promise<string> {
    const device = new Device(target.url, 'laptop');
    await device.send('POST', '/login', { body: ALICE });
    const claims = JSON.parse(
      Buffer.from(device.accessToken!.split('.')[1]!, 'base64url').toString(),
    ) as AccessTokenClaims;
    return target.stack.access.issue({
      sub: claims.sub,
      sid: claims.sid!,
      epoch: claims.epoch!,
      scope: claims.scope!,
      jkt: await dpop.calculateThumbprint(keyPair.publicKey),
    }).token;
  }

  const call = (target: App, headers: Record<string, string>) =>
    fetch(`${target.url}${PATH}`, { headers }).then(async (response) => ({
      status: response.status,
      challenge: response.headers.get('www-authenticate') ?? '',
      nonce: response.headers.get('dpop-nonce'),
      body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
    }));

  it('a bound token with a proof by its key: 200, every time with a fresh proof', async () => {
    const keyPair = await dpop.generateKeyPair('ES256');
    const token = await boundToken(app, keyPair);
    for (let i = 0; i < 3; i += 1) {
      const proof = await dpop.generateProof(keyPair, `${ORIGIN}${PATH}`, 'GET', undefined, token);
      const reply = await call(app, { authorization: `DPoP ${token}`, dpop: proof });
      expect(reply.status).toBe(200);
    }
  });

  it('refused: as a bearer token, with another key, replayed, for another URI or method', async () => {
    const keyPair = await dpop.generateKeyPair('Ed25519');
    const token = await boundToken(app, keyPair);
    const asBearer = await call(app, { authorization: `Bearer ${token}` });
    expect(asBearer.status).toBe(401);
    expect(asBearer.challenge).toMatch(
      /^DPoP realm="api", error="invalid_token".*algs="ES256 EdDSA Ed25519"/,
    );
    const thief = await dpop.generateKeyPair('ES256');
    const stolen = await call(app, {
      authorization: `DPoP ${token}`,
      dpop: await dpop.generateProof(thief, `${ORIGIN}${PATH}`, 'GET', undefined, token),
    });
    expect(stolen).toMatchObject({ status: 401, body: { error: 'invalid_token' } });
    const proof = await dpop.generateProof(keyPair, `${ORIGIN}${PATH}`, 'GET', undefined, token);
    expect((await call(app, { authorization: `DPoP ${token}`, dpop: proof })).status).toBe(200);
    const replayed = await call(app, { authorization: `DPoP ${token}`, dpop: proof });
    expect(replayed).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } });
    expect(replayed.challenge).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
    for (const [uri, method] of [
      [`${ORIGIN}/api/admin`, 'GET'],
      [`http://api.demo.tessera.test${PATH}`, 'GET'],
      [`${ORIGIN}${PATH}`, 'POST'],
    ] as const) {
      const wrong = await dpop.generateProof(keyPair, uri, method, undefined, token);
      expect((await call(app, { authorization: `DPoP ${token}`, dpop: wrong })).body.error).toBe(
        'invalid_dpop_proof',
      );
    }
  });

  it('one scheme per request; the DPoP scheme needs exactly one proof', async () => {
    const keyPair = await dpop.generateKeyPair('ES256');
    const token = await boundToken(app, keyPair);
    const proof = await dpop.generateProof(keyPair, `${ORIGIN}${PATH}`, 'GET', undefined, token);
    expect((await call(app, { authorization: `Bearer ${token}`, dpop: proof })).status).toBe(400);
    expect((await call(app, { authorization: `DPoP ${token}` })).status).toBe(400);
    expect((await call(app, { authorization: `DPoP ${token}`, dpop: `${proof}, ${proof}` })).status).toBe(
      400,
    );
    expect((await call(app, { dpop: proof })).status).toBe(400);
  });

  it('an unbound session token still works as a bearer token beside DPoP', async () => {
    const device = new Device(app.url, 'laptop');
    await device.send('POST', '/login', { body: ALICE });
    expect((await device.send('GET', PATH)).status).toBe(200);
  });

  it('a required nonce: use_dpop_nonce with DPoP-Nonce, then accepted with it', async () => {
    const keyPair = await dpop.generateKeyPair('ES256');
    const token = await boundToken(nonceApp, keyPair);
    const first = await call(nonceApp, {
      authorization: `DPoP ${token}`,
      dpop: await dpop.generateProof(keyPair, `${ORIGIN}${PATH}`, 'GET', undefined, token),
    });
    expect(first).toMatchObject({ status: 401, body: { error: 'use_dpop_nonce' } });
    expect(first.challenge).toMatch(/error="use_dpop_nonce"/);
    expect(first.nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const retried = await call(nonceApp, {
      authorization: `DPoP ${token}`,
      dpop: await dpop.generateProof(keyPair, `${ORIGIN}${PATH}`, 'GET', first.nonce!, token),
    });
    expect(retried.status).toBe(200);
  });
});

describe.each(FRAMEWORKS)('DPoP at the token endpoint on %s', (framework) => {
  let app: App;
  let nonceApp: App;
  let bodyApp: App;
  beforeAll(async () => {
    app = await startApp(framework, 'memory', { dpop: { origin: ORIGIN } });
    nonceApp = await startApp(framework, 'memory', { dpop: { origin: ORIGIN, tokenEndpointNonce: true } });
    bodyApp = await startApp(framework, 'memory', { dpop: { origin: ORIGIN }, transport: 'body' });
  });
  afterAll(async () => {
    await app?.close();
    await nonceApp?.close();
    await bodyApp?.close();
  });

  /** A POST with a panva/dpop proof for `path` (or none), the JSON body and the cookie given. */
  async function post(
    target: App,
    path: string,
    options: { keys?: CryptoKeyPair; nonce?: string; body?: unknown; cookie?: string; proof?: string } = {},
  ) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.proof !== undefined) headers.dpop = options.proof;
    else if (options.keys !== undefined)
      headers.dpop = await dpop.generateProof(options.keys, `${ORIGIN}${path}`, 'POST', options.nonce);
    if (options.cookie !== undefined) headers.cookie = options.cookie;
    const response = await fetch(`${target.url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(options.body ?? {}),
    });
    const setCookie = response.headers.getSetCookie()[0];
    return {
      status: response.status,
      nonce: response.headers.get('dpop-nonce'),
      cookie: setCookie?.split(';')[0],
      body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
    };
  }
  const claimsOf = (token: unknown) =>
    JSON.parse(Buffer.from(String(token).split('.')[1]!, 'base64url').toString()) as AccessTokenClaims;

  it('a login with a proof: token_type DPoP, the session bound; each refresh needs a proof by the key', async () => {
    const keys = await dpop.generateKeyPair('ES256');
    const jkt = await dpop.calculateThumbprint(keys.publicKey);
    const login = await post(app, '/login', { keys, body: ALICE });
    expect(login).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    expect(claimsOf(login.body.access_token).cnf).toEqual({ jkt });
    let cookie = login.cookie!;
    for (let i = 0; i < 2; i++) {
      const next = await post(app, '/auth/token/refresh', { keys, cookie });
      expect(next).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
      expect(claimsOf(next.body.access_token).cnf).toEqual({ jkt });
      cookie = next.cookie!;
    }
    // The devices page shows the session as bound.
    const device = new Device(app.url, 'laptop').useDpop(await createDpopKey(), ORIGIN);
    await device.send('POST', '/login', { body: ALICE });
    const sessions = await device.send('GET', '/auth/sessions');
    expect(sessions.status).toBe(200);
    expect(((sessions.body?.sessions ?? []) as { bound: boolean }[]).map((s) => s.bound)).toContain(true);
    // Without a proof, and with another key's: invalid_grant, and the session is over.
    const thief = await dpop.generateKeyPair('ES256');
    const stolen = await post(app, '/auth/token/refresh', { keys: thief, cookie });
    expect(stolen).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
    expect((await post(app, '/auth/token/refresh', { keys, cookie })).status).toBe(401);
    const other = await post(app, '/login', { keys, body: ALICE });
    expect((await post(app, '/auth/token/refresh', { cookie: other.cookie! })).body).toMatchObject({
      error: 'invalid_grant',
    });
    expect((await post(app, '/auth/token/refresh', { keys, cookie: other.cookie! })).status).toBe(401);
  });

  it('a bad proof is 400 invalid_dpop_proof: no session starts, and a live one is left alone', async () => {
    const keys = await dpop.generateKeyPair('ES256');
    const before = (await app.stack.sessions.list('alice')).length;
    for (const proof of ['not-a-proof', await dpop.generateProof(keys, `${ORIGIN}/elsewhere`, 'POST')]) {
      const login = await post(app, '/login', { proof, body: ALICE });
      expect(login).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    }
    expect((await app.stack.sessions.list('alice')).length).toBe(before);
    const login = await post(app, '/login', { keys, body: ALICE });
    const bad = await post(app, '/auth/token/refresh', { proof: 'not-a-proof', cookie: login.cookie! });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } });
    expect((await post(app, '/auth/token/refresh', { keys, cookie: login.cookie! })).status).toBe(200);
  });

  it('a required nonce at the token endpoint: 400 use_dpop_nonce with DPoP-Nonce, then accepted', async () => {
    const keys = await dpop.generateKeyPair('Ed25519');
    const first = await post(nonceApp, '/login', { keys, body: ALICE });
    expect(first).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
    expect(first.nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/);
    const login = await post(nonceApp, '/login', { keys, body: ALICE, nonce: first.nonce! });
    expect(login).toMatchObject({ status: 200, body: { token_type: 'DPoP' } });
    const refresh = await post(nonceApp, '/auth/token/refresh', { keys, cookie: login.cookie! });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
    const again = await post(nonceApp, '/auth/token/refresh', {
      keys,
      cookie: login.cookie!,
      nonce: refresh.nonce!,
    });
    expect(again.status).toBe(200);
    // Our own client answers the challenge by itself.
    const device = new Device(nonceApp.url, 'app').useDpop(await createDpopKey(), ORIGIN);
    expect((await device.send('POST', '/login', { body: ALICE })).status).toBe(200);
    expect((await device.refresh()).status).toBe(200);
    expect((await device.send('GET', PATH)).status).toBe(200);
  });

  it('the body transport works with a bound session too', async () => {
    const device = new Device(bodyApp.url, 'native').useDpop(await createDpopKey(), ORIGIN);
    const login = await device.send('POST', '/login', { body: ALICE });
    expect(login.body).toMatchObject({ token_type: 'DPoP' });
    expect(device.refreshToken).toMatch(/^rd1\./);
    expect((await device.refresh()).status).toBe(200);
    expect((await device.send('GET', PATH)).status).toBe(200);
    const thief = device.stolenBy('thief').useDpop(await createDpopKey(), ORIGIN);
    expect((await thief.refresh()).status).toBe(401);
    expect((await device.refresh()).status).toBe(401);
  });
});
