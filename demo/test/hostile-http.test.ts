import { request as httpRequest } from 'node:http';
import type { SessionEvent } from '@tessera/sessions';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/server.js';
import { ALICE, type App, startApp } from './support/app.js';

// Hostile HTTP against every built-in route and an authenticated app route, on each adapter: random
// methods, paths (malformed percent-encodings included), header values within what Node's parser
// admits (Host that is no authority, doubled credentials, odd cookies) and bodies (over the limit
// included). The answer is never a 500, nothing hangs, and no response or event carries a token.

/** What a hostile client gets back: within a bound, or the test fails. */
function send(
  url: string,
  options: { method: string; path: string; headers: Record<string, string | string[]>; body: string },
): Promise<{ status: number; text: string }> {
  const withBody = options.method !== 'GET' && options.method !== 'HEAD';
  // An explicit length: Node's client frames no body of its own for OPTIONS or DELETE.
  const headers = withBody
    ? { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) }
    : options.headers;
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method,
        path: options.path,
        headers,
        setHost: options.headers['host'] === undefined,
        // A connection per request, as a hostile client opens them: no keep-alive race between runs.
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: text + JSON.stringify(res.headers) }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`${options.method} ${options.path} hung`)));
    req.on('error', reject);
    req.end(withBody ? options.body : undefined);
  });
}

const ROUTES = [
  '/auth/token/refresh',
  '/auth/token/logout',
  '/auth/logout-everywhere',
  '/auth/sessions',
  '/auth/sessions/x',
  '/.well-known/jwks.json',
  '/api/hello',
  '/api/orders',
  '/auth/echo',
];
const SEGMENTS = [
  '',
  '/%E0%A4%A',
  '/%',
  '/%zz',
  '/%00',
  '/..',
  '/%2e%2e',
  '//',
  '/a%2Fb',
  '/x?y=%',
  '/?access_token=a',
];

const header = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);
const hostileHost = fc.constantFrom(
  'a b',
  '[::1',
  'x:99999',
  'exa mple.com:80',
  '@',
  'a/b',
  '[',
  ':',
  'h:p',
  'ä',
);

describe.each(FRAMEWORKS)('hostile HTTP on %s', (framework) => {
  let app: App;
  const events: SessionEvent[] = [];
  let token = '';
  let cookie = '';

  beforeAll(async () => {
    app = await startApp(framework, 'memory', { events: (event) => events.push(event) });
    const login = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ALICE),
    });
    token = ((await login.json()) as { access_token: string }).access_token;
    cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0]!;
  });
  afterAll(() => app.close());

  // Shrunk counterexamples the property found (each was a 500 before).
  it.each([
    { method: 'GET', path: '/auth/token/refresh', headers: { host: 'a b' }, body: '' },
    { method: 'POST', path: '/auth/token/refresh', headers: { host: '[::1' }, body: '' },
    { method: 'DELETE', path: '/auth/token/refresh', headers: {}, body: 'a'.repeat(5000) },
    { method: 'POST', path: '/auth/token/refresh', headers: {}, body: 'a'.repeat(70_000) },
    { method: 'DELETE', path: '/auth/sessions/%E0%A4%A', headers: {}, body: '' },
  ])('$method $path $headers.host answers 4xx', async ({ method, path, headers, body }) => {
    const { status } = await send(app.url, { method, path, headers, body });
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it('never answers 500, never hangs, never echoes a token', async () => {
    const credentials = fc.constantFrom<Record<string, string | string[]>>(
      {},
      { authorization: `Bearer ${token}` },
      { authorization: [`Bearer ${token}`, `Bearer ${token}`] },
      { authorization: `Basic ${token}` },
      { cookie },
      { cookie: `${cookie}; ${cookie}` },
      { authorization: `Bearer ${token}`, cookie },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        fc.constantFrom(...ROUTES),
        fc.constantFrom(...SEGMENTS),
        credentials,
        fc.record(
          {
            host: fc.oneof(hostileHost, header),
            origin: fc.oneof(fc.constant('null'), header),
            'content-type': fc.constantFrom(
              'application/json',
              'application/x-www-form-urlencoded',
              'text/plain',
              'multipart/form-data; boundary=x',
            ),
            'user-agent': header,
          },
          { requiredKeys: [] },
        ),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom(
            '{',
            '[]',
            'null',
            '{"refresh_token":1}',
            `access_token=${token}`,
            '{"__proto__":{}}',
          ),
          fc.integer({ min: 4000, max: 70_000 }).map((n) => 'a'.repeat(n)),
          fc.integer({ min: 4000, max: 9000 }).map((n) => JSON.stringify({ refresh_token: 'r'.repeat(n) })),
        ),
        async (method, route, segment, credential, headers, body) => {
          const path = route + segment;
          const { status, text } = await send(app.url, {
            method,
            path,
            headers: { ...headers, ...credential },
            body,
          });
          expect(status, `${method} ${path} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(200);
          expect(
            status,
            `${method} ${path} ${JSON.stringify(headers)} -> ${text.slice(0, 300)}`,
          ).toBeLessThan(500);
          expect(text).not.toContain(token);
          expect(text).not.toContain(cookie.split('=')[1]);
        },
      ),
      { numRuns: 150 },
    );
    const said = JSON.stringify(events);
    expect(said).not.toContain(token);
    expect(said).not.toContain(cookie.split('=')[1]);
  }, 120_000);
});

describe.each(FRAMEWORKS)('hostile DPoP on %s', (framework) => {
  let app: App;
  let token = '';
  let refreshCookie = '';
  const ORIGIN = 'https://api.demo.tessera.test';

  beforeAll(async () => {
    app = await startApp(framework, 'memory', { dpop: { origin: ORIGIN } });
    const login = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ALICE),
    });
    token = ((await login.json()) as { access_token: string }).access_token;
    refreshCookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  });
  afterAll(() => app.close());

  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  const hostileProof = () =>
    fc.oneof(
      header,
      fc
        .tuple(fc.jsonValue(), fc.jsonValue(), fc.string({ maxLength: 40 }))
        .map(([h, p, s]) => `${b64(JSON.stringify(h))}.${b64(JSON.stringify(p))}.${b64(s)}`),
      fc.constant(`${b64('{"typ":"dpop+jwt","alg":"none"}')}.${b64('{"htm":"POST"}')}.`),
      fc.integer({ min: 4097, max: 9000 }).map((n) => `${'a'.repeat(n)}.b.c`),
    );

  it('at the token endpoint (login, refresh with its cookie): a hostile proof is a 4xx and spends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/login', '/auth/token/refresh'),
        fc.oneof(
          hostileProof(),
          hostileProof().map((p) => [p, p]),
        ),
        async (path, dpop) => {
          const headers = {
            dpop,
            'content-type': 'application/json',
            ...(path === '/login' ? {} : { cookie: refreshCookie }),
          };
          const body = path === '/login' ? JSON.stringify(ALICE) : '';
          const { status, text } = await send(app.url, { method: 'POST', path, headers, body });
          expect(status, `${path} ${JSON.stringify(dpop).slice(0, 200)}`).toBeGreaterThanOrEqual(400);
          expect(status).toBeLessThan(500);
          expect(text).not.toContain(token);
        },
      ),
      { numRuns: 80 },
    );
    // The refresh cookie was never spent by a refused proof: it still refreshes.
    const { status } = await send(app.url, {
      method: 'POST',
      path: '/auth/token/refresh',
      headers: { cookie: refreshCookie },
      body: '',
    });
    expect(status).toBe(200);
  }, 120_000);

  it('any DPoP scheme and proof header gets a 4xx (or the resource), never a 500, never the token back', async () => {
    const jwtShaped = fc
      .tuple(fc.jsonValue(), fc.jsonValue(), fc.string({ maxLength: 40 }))
      .map(([h, p, s]) => `${b64(JSON.stringify(h))}.${b64(JSON.stringify(p))}.${b64(s)}`);
    const proof = fc.oneof(
      header,
      jwtShaped,
      fc.constant(
        `${b64('{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}')}.${b64('{}')}.AA`,
      ),
      fc.constant(`${b64('{"typ":"dpop+jwt","alg":"none"}')}.${b64('{"htm":"GET"}')}.`),
      // Over the proof cap (4096), within what Node's parser admits (16 KiB of headers in all).
      fc.integer({ min: 4097, max: 9000 }).map((n) => `${'a'.repeat(n)}.b.c`),
    );
    const credentials = fc.oneof(
      proof.map((p) => ({ authorization: `DPoP ${token}`, dpop: p })),
      proof.map((p) => ({ authorization: `dpop   ${token}`, dpop: [p, p] })),
      proof.map((p) => ({ authorization: `Bearer ${token}`, dpop: p })),
      proof.map((p) => ({ dpop: p })),
      fc.constant({ authorization: 'DPoP' }),
      fc.constant({ authorization: `DPoP ${token}, DPoP ${token}` }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE'),
        fc.constantFrom('/api/orders', '/api/hello', '/auth/sessions', '/auth/token/refresh'),
        credentials,
        async (method, path, credential) => {
          const { status, text } = await send(app.url, { method, path, headers: credential, body: '' });
          expect(status, `${method} ${path} ${JSON.stringify(credential).slice(0, 200)}`).toBeLessThan(500);
          expect(text).not.toContain(token);
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});
