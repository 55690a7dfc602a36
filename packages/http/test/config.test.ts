import { createHttpAuth } from '@tessera/http';
import { describe, expect, it } from 'vitest';

const sessions = {
  login: async () => ({}),
  refresh: async () => ({}),
  verify: async () => ({}),
  logout: async () => true,
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
