/**
 * The HTTP transport rules, over real HTTP on every adapter: where credentials may travel, the
 * refresh cookie's attributes, CSRF checks, RFC 6750 answers and what error bodies never contain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from '../src/client.js';
import { FRAMEWORKS, type Framework } from '../src/server.js';
import { ALICE, type App, rawRequest, startApp } from './support/app.js';

describe.each(FRAMEWORKS)('transport rules: %s', (framework: Framework) => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(framework, 'memory');
  });
  afterAll(() => app.close());

  const signedIn = async () => {
    const device = new Device(app.url, 'test');
    const reply = await device.send('POST', '/login', { body: ALICE });
    expect(reply.status).toBe(200);
    return { device, reply };
  };
  const cookieHeader = (d: Device) => `${d.cookie!.name}=${d.cookie!.value}`;

  it('login and refresh answer no-store, with the refresh token only in a locked-down cookie', async () => {
    const { device, reply } = await signedIn();
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.body).not.toHaveProperty('refresh_token');
    const [cookie] = reply.headers.getSetCookie();
    expect(cookie).toMatch(/^__Secure-tessera-rt=rt1\./);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/auth/token']) {
      expect(cookie).toContain(`; ${attribute}`);
    }
    expect(Number(/Max-Age=(\d+)/.exec(cookie!)?.[1])).toBeGreaterThan(6 * 24 * 3600);
    const refreshed = await device.refresh();
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
  });

  it('no token: 401 with a bare challenge (no error attribute)', async () => {
    const r = await rawRequest(`${app.url}/api/orders`, {});
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('a bad token: 401 invalid_token; insufficient scope: 403 insufficient_scope naming the scope', async () => {
    const bad = await rawRequest(`${app.url}/api/orders`, {
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    const { device } = await signedIn();
    const scope = await device.send('POST', '/api/orders', { body: {} });
    expect(scope.status).toBe(403);
    expect(scope.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(scope.headers.get('www-authenticate')).toContain('scope="orders:write"');
  });

  it('a token in the URL is refused, even beside a valid header', async () => {
    const { device } = await signedIn();
    for (const query of ['access_token', 'ACCESS_TOKEN', 'token', 'refresh_token']) {
      const r = await device.send('GET', `/api/orders?${query}=${device.accessToken}`);
      expect(r.status, query).toBe(400);
      expect(JSON.stringify(r.body)).not.toContain(device.accessToken);
    }
    const refresh = await device.send('POST', `/auth/token/refresh?refresh_token=${device.cookie!.value}`, {
      bearer: false,
    });
    expect(refresh.status).toBe(400);
  });

  it('two Authorization headers are refused (not "the first one wins")', async () => {
    const { device } = await signedIn();
    const r = await rawRequest(`${app.url}/api/orders`, {
      headers: { authorization: [`Bearer ${device.accessToken}`, 'Bearer forged.token.here'] },
    });
    expect(r.status).toBe(400);
    expect(r.headers['www-authenticate']).toContain('error="invalid_request"');
  });

  it('a bearer header together with a token cookie is refused', async () => {
    const { device } = await signedIn();
    const r = await device.send('GET', '/api/orders', {
      headers: { cookie: `access_token=${device.accessToken}` },
    });
    expect(r.status).toBe(400);
    const withRefresh = await device.send('POST', '/auth/token/refresh', {
      headers: { cookie: cookieHeader(device) },
    });
    expect(withRefresh.status).toBe(400);
  });

  it('the refresh token travels in the configured mechanism only: not in the body, not in two cookies', async () => {
    const { device } = await signedIn();
    const inBody = await device.send('POST', '/auth/token/refresh', {
      bearer: false,
      body: { refresh_token: device.cookie!.value },
      headers: { cookie: 'x=1' },
    });
    expect(inBody.status).toBe(400);
    const twice = await rawRequest(`${app.url}/auth/token/refresh`, {
      method: 'POST',
      headers: { cookie: `${cookieHeader(device)}; ${device.cookie!.name}=planted` },
    });
    expect(twice.status).toBe(400);
    expect((await device.refresh()).status).toBe(200);
  });

  it('refresh and logout refuse cross-site requests (Origin, Sec-Fetch-Site); same-origin and non-browser pass', async () => {
    const { device } = await signedIn();
    const cross = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'https://sub.example' },
      { origin: 'null' },
    ];
    for (const headers of cross) {
      for (const path of ['/auth/token/refresh', '/auth/token/logout']) {
        const r = await device.send('POST', path, { bearer: false, headers });
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
    const host = new URL(app.url).host;
    expect(
      (
        await device.send('POST', '/auth/token/refresh', {
          bearer: false,
          headers: { origin: app.url, host },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await device.send('POST', '/auth/token/refresh', {
          bearer: false,
          headers: { 'sec-fetch-site': 'same-origin' },
        })
      ).status,
    ).toBe(200);
  });

  it('refresh failures all look the same outside: unknown, forged, reused, revoked', async () => {
    const { device } = await signedIn();
    const spent = device.stolenBy('thief');
    expect((await device.refresh()).status).toBe(200);
    expect((await device.refresh()).status).toBe(200);
    const forged = device.stolenBy('forger');
    forged.cookie!.value = `${forged.cookie!.value.slice(0, -4)}AAAA`;
    const unknown = device.stolenBy('nobody');
    unknown.cookie!.value =
      'rt1.d1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const replies = [
      await forged.refresh(),
      await unknown.refresh(),
      await spent.refresh(),
      await device.refresh(),
    ];
    for (const r of replies) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        error: 'invalid_grant',
        error_description: 'the refresh token is invalid, expired or revoked',
      });
    }
  });

  it("the devices page lists the user's sessions; DELETE ends one, and only one of the caller's own", async () => {
    const { device: laptop } = await signedIn();
    const { device: phone, reply } = await signedIn();
    const list = await laptop.send('GET', '/auth/sessions');
    const sessions = list.body!.sessions as { id: string; current: boolean; userAgent: string; ip: string }[];
    const phoneSession = sessions.find((s) => s.id === reply.body?.session_id);
    expect(phoneSession).toMatchObject({ current: false, userAgent: 'tessera-demo/test' });
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(phoneSession?.ip).toMatch(/127\.0\.0\.1/);
    const bob = new Device(app.url, 'bob');
    await bob.send('POST', '/login', { body: { username: 'bob', password: 'hunter2 but longer' } });
    expect((await bob.send('DELETE', `/auth/sessions/${phoneSession!.id}`)).status).toBe(404);
    expect((await laptop.send('DELETE', `/auth/sessions/${phoneSession!.id}`)).status).toBe(204);
    expect((await phone.send('GET', '/api/orders')).status).toBe(401);
  });

  it('publishes the JWKS (public keys only)', async () => {
    const r = await rawRequest(`${app.url}/.well-known/jwks.json`, {});
    expect(r.status).toBe(200);
    const { keys } = JSON.parse(r.body) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe.each(FRAMEWORKS)('body transport and outages: %s', (framework: Framework) => {
  it('with the body transport the refresh token is in the JSON body, never in a cookie', async () => {
    const app = await startApp(framework, 'memory', { transport: 'body' });
    try {
      const device = new Device(app.url, 'native');
      const login = await device.send('POST', '/login', { body: ALICE });
      expect(login.headers.getSetCookie()).toEqual([]);
      expect(login.body?.refresh_token).toMatch(/^rt1\./);
      expect((await device.refresh()).status).toBe(200);
      const withCookie = await device.send('POST', '/auth/token/refresh', {
        bearer: false,
        body: { refresh_token: device.refreshToken },
        headers: { cookie: `__Secure-tessera-rt=${device.refreshToken}` },
      });
      expect(withCookie.status).toBe(400);
      expect((await device.logout()).status).toBe(204);
      expect((await device.refresh()).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('an unavailable revocation source answers 503 with Retry-After, never 401', async () => {
    const app = await startApp(framework, 'memory');
    try {
      const device = new Device(app.url, 'test');
      await device.send('POST', '/login', { body: ALICE });
      await app.stack.denylist.close();
      const r = await device.send('GET', '/api/orders');
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(JSON.stringify(r.body)).not.toContain(device.accessToken);
    } finally {
      await app.close();
    }
  });
});
