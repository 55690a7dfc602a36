import { randomBytes } from 'node:crypto';
import { isTesseraError } from '@tessera/core';
import * as refresh from '@tessera/refresh';
import * as redisEntry from '@tessera/refresh/redis';
import { describe, expect, it } from 'vitest';

const { createMemoryStore, createRefreshTokens } = refresh;
const store = createMemoryStore();
const secrets = [{ id: 's1', secret: randomBytes(32) }];

function configError(options: unknown): string {
  try {
    createRefreshTokens(options as refresh.RefreshTokensOptions);
  } catch (error) {
    expect(isTesseraError(error, 'ERR_CONFIG')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected ERR_CONFIG');
}

describe('createRefreshTokens options (ERR_CONFIG)', () => {
  it('accepts defaults', () => {
    expect(() => createRefreshTokens({ store, secrets })).not.toThrow();
  });

  it.each([
    ['no store', { secrets }],
    ['a store missing methods', { store: { rotate() {} }, secrets }],
    ['no secrets', { store, secrets: [] }],
    ['a secret shorter than 32 bytes', { store, secrets: [{ id: 's1', secret: randomBytes(31) }] }],
    ['a short string secret', { store, secrets: [{ id: 's1', secret: 'too short' }] }],
    ['a secret id with dots', { store, secrets: [{ id: 'a.b', secret: randomBytes(32) }] }],
    ['duplicate secret ids', { store, secrets: [secrets[0], secrets[0]] }],
    ['grace over 60 s', { store, secrets, reuseGrace: 61 }],
    ['idle longer than absolute', { store, secrets, idleTtl: 7200, absoluteTtl: 3600 }],
    ['fractional TTL', { store, secrets, idleTtl: 10.5 }],
    ['zero session cap', { store, secrets, maxSessionsPerUser: 0 }],
    ['unknown option', { store, secrets, rotateOnRead: true }],
  ])('rejects %s', (_name, options) => {
    configError(options);
  });

  it('never quotes a secret in its message', () => {
    const secret = 'short-but-secret';
    expect(configError({ store, secrets: [{ id: 's1', secret }] })).not.toContain(secret);
  });

  it('createRedisStore refuses a non-client and a hostile prefix', () => {
    expect(() => redisEntry.createRedisStore({ client: {} as never })).toThrowError(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
    const clientLike = { defineCommand() {} } as never;
    for (const prefix of ['', 'a{b}', 'a b', 'x'.repeat(65), 'line\nbreak']) {
      expect(() => redisEntry.createRedisStore({ client: clientLike, prefix })).toThrowError(
        expect.objectContaining({ code: 'ERR_CONFIG', claim: 'prefix' }),
      );
    }
    expect(() => redisEntry.createRedisStore({ client: clientLike, prefix: 'myapp:rt' })).not.toThrow();
  });
});

describe('@tessera/refresh public surface', () => {
  it('exports exactly these names', () => {
    expect(Object.keys(refresh).sort()).toEqual(['createMemoryStore', 'createRefreshTokens']);
    expect(Object.keys(redisEntry).sort()).toEqual(['createRedisStore']);
  });
});

describe('errors never carry the refresh token', () => {
  it('for every rejection kind', async () => {
    let now = Date.UTC(2026, 10, 21);
    const tokens = createRefreshTokens({
      store: createMemoryStore(),
      secrets,
      clock: () => now,
      idleTtl: 60,
      absoluteTtl: 120,
    });
    const { token } = await tokens.issue({ sub: 'u' });
    const { token: next } = await tokens.rotate(token);
    now += 11_000;
    const failures = [tokens.rotate(`${token}x`), tokens.rotate(token), tokens.rotate(next)];
    const { token: other } = await tokens.issue({ sub: 'v' });
    now += 200_000;
    failures.push(tokens.rotate(other));
    for (const failure of failures) {
      const error = (await failure.catch((e: unknown) => e)) as Error & Record<string, unknown>;
      expect(isTesseraError(error)).toBe(true);
      const rendered = [
        error.message,
        String(error),
        error.stack,
        JSON.stringify(error),
        ...Object.values(error).map(String),
      ].join('\n');
      for (const t of [token, next, other]) {
        for (const part of t.split('.').filter((p) => p.length >= 20 && !/^[A-Za-z0-9_-]{33}$/.test(p)))
          expect(rendered).not.toContain(part);
      }
    }
  });
});

describe('refresh MAC secrets and HS256 keys share one strength rule', () => {
  const weak = [
    Buffer.alloc(32),
    Buffer.from('a'.repeat(32)),
    Buffer.from('password'.repeat(4)),
    Buffer.from('abcdefghijklmnop'.repeat(2)),
  ];

  it.each(weak.map((bytes) => [bytes.toString('latin1').slice(0, 12), bytes]))(
    'refuses the patterned secret %j (as bytes and as a string)',
    (_name, bytes) => {
      expect(configError({ store, secrets: [{ id: 's1', secret: bytes }] })).toMatch(/patterned/);
      expect(configError({ store, secrets: [{ id: 's1', secret: bytes.toString('latin1') }] })).toMatch(
        /patterned/,
      );
    },
  );

  it('accepts exactly the secrets core accepts as HS256 keys (property)', async () => {
    const { createAccessTokens } = await import('@tessera/core');
    const fc = (await import('fast-check')).default;
    const acceptedByCore = (bytes: Uint8Array) => {
      try {
        createAccessTokens({
          issuer: 'i',
          audience: 'a',
          keys: { sign: { kty: 'oct', kid: 'h', alg: 'HS256', k: Buffer.from(bytes).toString('base64url') } },
        });
        return true;
      } catch {
        return false;
      }
    };
    const acceptedByRefresh = (bytes: Uint8Array) => {
      try {
        createRefreshTokens({ store, secrets: [{ id: 's1', secret: bytes }] });
        return true;
      } catch {
        return false;
      }
    };
    // Random bytes, short alphabets and repeated units: both sides of the rule get hit.
    const patterned = fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 8 }))
      .map(([unit, times]) =>
        Uint8Array.from({ length: unit.length * times }, (_, i) => unit[i % unit.length]!),
      );
    const secret = fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 64 }),
      fc.uint8Array({ minLength: 16, maxLength: 64, max: 15 }),
      patterned,
    );
    fc.assert(
      fc.property(secret, (bytes) => {
        expect(acceptedByRefresh(bytes)).toBe(acceptedByCore(bytes));
      }),
      { numRuns: 400 },
    );
  });
});

describe('subjects follow the one id rule of every package', () => {
  it('a subject with a lone surrogate is refused: UTF-8 would merge it with others into one owner', async () => {
    const tokens = createRefreshTokens({ store: createMemoryStore(), secrets });
    // Both encode to the same UTF-8 bytes ('a' then U+FFFD), so they would share one owner index.
    expect(Buffer.from('a\uD800').equals(Buffer.from('a\uDFFF'))).toBe(true);
    for (const sub of ['a\uD800', 'a\uDFFF', '\uDC00x', '', 'x'.repeat(16_385)]) {
      await expect(tokens.issue({ sub })).rejects.toMatchObject({ code: 'ERR_TOKEN_CLAIMS', claim: 'sub' });
    }
    await expect(tokens.issue({ sub: 'ünïcødé-用户-🔑' })).resolves.toBeDefined();
  });
});
