import { createHttpAuth } from '@tessera/http';
import { describe, expect, it, vi } from 'vitest';

const sessions = {
  refresh: async () => ({}),
  verify: async () => ({}),
  logout: async () => true,
  logoutEverywhere: async () => ({ revoked: [] }),
  revokeSession: async () => true,
  list: async () => [],
} as never;

describe('createHttpAuth options', () => {
  it('refuses bad options with ERR_CONFIG, once, at construction', () => {
    const bad = [
      {},
      { sessions, refreshToken: { in: 'query' } },
      { sessions, refreshToken: { in: 'cookie', name: 'bad name;' } },
      { sessions, refreshToken: { in: 'body' }, basePath: 'auth/' },
      { sessions, refreshToken: { in: 'body' }, trustedOrigins: ['https://app.example/'] },
      { sessions, refreshToken: { in: 'body' }, retryAfter: 0 },
      { sessions, refreshToken: { in: 'body' }, realm: 'a"\n' },
      { sessions, refreshToken: { in: 'body' }, unknown: true },
      // A sessions object without a method the handlers call: refused now, not a 500 at request time.
      { sessions: { ...(sessions as object), logoutEverywhere: undefined }, refreshToken: { in: 'body' } },
      { sessions: { ...(sessions as object), revokeSession: undefined }, refreshToken: { in: 'body' } },
    ];
    for (const options of bad) {
      expect(() => createHttpAuth(options as never), JSON.stringify(options)).toThrowError(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
    }
  });

  it('names its routes under basePath and scopes the cookie to the token path', () => {
    const http = createHttpAuth({ sessions, refreshToken: { in: 'cookie' }, basePath: '/api/auth' });
    expect(http.routes).toEqual({
      base: '/api/auth',
      refresh: '/api/auth/token/refresh',
      logout: '/api/auth/token/logout',
      logoutEverywhere: '/api/auth/logout-everywhere',
      sessions: '/api/auth/sessions',
      jwks: '/.well-known/jwks.json',
      cookiePath: '/api/auth/token',
    });
  });
});

describe('the route table', () => {
  const http = createHttpAuth({ sessions, refreshToken: { in: 'body' } });

  it('serves exactly its routes; an app route under the prefix is not its own', async () => {
    const { isOwnPath } = await import('../src/lib/route-table.js');
    const { routeTable } = await import('../src/lib/route-table.js');
    const table = routeTable(http.routes);
    for (const own of [
      '/auth/token/refresh',
      '/auth/token/logout',
      '/auth/logout-everywhere',
      '/auth/sessions',
      '/auth/sessions/abc',
      '/.well-known/jwks.json',
    ])
      expect(isOwnPath(own, table), own).toBe(true);
    for (const other of [
      '/auth/login',
      '/auth/echo',
      '/auth/sessions/a/b',
      '/auth/sessions/',
      '/auth',
      '/authx/token/refresh',
    ])
      expect(isOwnPath(other, table), other).toBe(false);
    expect(await http.handle(new Request('http://api.test/auth/login', { method: 'POST' }))).toBeUndefined();
  });

  it('a wrong method is 405 with Allow; a malformed percent-encoding in an id is 400, never a 500', async () => {
    const wrong = await http.handle(new Request('http://api.test/auth/token/refresh'));
    expect(wrong?.status).toBe(405);
    expect(wrong?.headers.get('allow')).toBe('POST');
    for (const id of ['%E0%A4%A', '%', '%zz']) {
      const response = await http.handle(
        new Request(`http://api.test/auth/sessions/${id}`, { method: 'DELETE' }),
      );
      expect(response?.status, id).toBe(400);
    }
  });

  it('a development cookie for plain HTTP: no __Secure- prefix, no Secure; warned about; refused in production', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const before = process.env['NODE_ENV'];
    try {
      process.env['NODE_ENV'] = 'development';
      const http = createHttpAuth({
        sessions,
        refreshToken: { in: 'cookie', insecureDevelopmentCookie: true },
      });
      expect(warn.mock.calls.some((call) => String(call[0]).includes('not Secure'))).toBe(true);
      const tokens = {
        accessToken: { token: 'a', expiresIn: 900, claims: { iat: 1 } },
        refreshToken: 'r',
        session: { sessionId: 's', expiresAt: new Date(10_000) },
      } as never;
      const cookie = http.tokenResponse(tokens).headers.getSetCookie()[0]!;
      expect(cookie).toMatch(/^tessera-rt=r; Path=\/auth\/token; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
      // The default keeps both.
      const strict = createHttpAuth({ sessions, refreshToken: { in: 'cookie' } });
      expect(strict.tokenResponse(tokens).headers.getSetCookie()[0]).toMatch(
        /^__Secure-tessera-rt=.*; HttpOnly; Secure; SameSite=Strict$/,
      );
      process.env['NODE_ENV'] = 'production';
      expect(() =>
        createHttpAuth({ sessions, refreshToken: { in: 'cookie', insecureDevelopmentCookie: true } }),
      ).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG', reason: 'insecure_in_production' }));
    } finally {
      if (before === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = before;
      warn.mockRestore();
    }
  });

  it('a form body that cannot be read any more (the app consumed it) is refused with a 400, never thrown', async () => {
    const http = createHttpAuth({ sessions, refreshToken: { in: 'body' } });
    const request = new Request('http://api.test/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer abc' },
      body: 'a=1',
    });
    await request.text();
    const result = await http.authenticate(request);
    expect(result.ok).toBe(false);
    expect(result.ok ? 0 : result.response.status).toBe(400);
  });
});
