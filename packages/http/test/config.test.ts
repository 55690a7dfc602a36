import { createHttpAuth } from '@tessera/http';
import { describe, expect, it } from 'vitest';

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
