/**
 * ERR_UNAVAILABLE keeps what went wrong underneath as `cause` (so an operator can tell a server that
 * is down from a wrong password), scrubbed of credentials. Real redis-servers of the test's own.
 */

import { randomBytes } from 'node:crypto';
import { createDenylist, type Denylist } from '@tessera/denylist';
import { createMemoryStore, createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../../../test/support/redis.js';

const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

async function causeOf(promise: Promise<unknown>): Promise<Error & { code?: unknown }> {
  const error = (await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  )) as Error & { code?: string; cause?: Error };
  expect(error.code).toBe('ERR_UNAVAILABLE');
  expect(error.cause).toBeInstanceOf(Error);
  const rendered = `${error.message} ${String(error.cause)} ${JSON.stringify(error.cause)} ${error.stack}`;
  expect(rendered).not.toContain(PASSWORD);
  return error.cause as Error & { code?: unknown };
}

function denylistOn(client: Redis): Denylist {
  return createDenylist({ client, prefix: 'causes', timeoutMs: 1000, onWarning: () => {} });
}

describe('ERR_UNAVAILABLE carries a scrubbed cause', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start(['--requirepass', PASSWORD]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('NOAUTH (no password) and WRONGPASS are told apart from a refused connection', async () => {
    const anonymous = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    anonymous.on('error', () => {});
    expect((await causeOf(denylistOn(anonymous).revokeUser('ada'))).message).toMatch(/NOAUTH/);
    anonymous.disconnect();

    const wrong = new Redis(`redis://:wrong-${PASSWORD}@127.0.0.1:${server.port}`, {
      maxRetriesPerRequest: 0,
    });
    wrong.on('error', () => {});
    const wrongCause = await causeOf(denylistOn(wrong).revokeSession('s1'));
    expect(wrongCause.message).toMatch(/WRONGPASS|NOAUTH/);
    wrong.disconnect();

    const port = await freePort();
    const nobody = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false });
    nobody.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await causeOf(denylistOn(nobody).revokeUser('ada'));
    expect(refused.message).not.toMatch(/NOAUTH|WRONGPASS/);
    nobody.disconnect();
  });

  it('the refresh store too, and the password in a connection URL never reaches the cause', async () => {
    const anonymous = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    anonymous.on('error', () => {});
    const refresh = createRefreshTokens({
      store: createRedisStore({ client: anonymous, prefix: 'causes:rt' }),
      secrets: [{ id: 's1', secret: randomBytes(32) }],
    });
    expect((await causeOf(refresh.issue({ sub: 'ada' }))).message).toMatch(/NOAUTH/);
    anonymous.disconnect();
    // A store whose own error quotes a URL with a password and a refresh token.
    const memory = createMemoryStore();
    const leaky = createRefreshTokens({
      store: {
        ...memory,
        create: async () => {
          throw new Error(`cannot reach redis://app:${PASSWORD}@db:6379 for rt1.s1.token-text-here`);
        },
      },
      secrets: [{ id: 's1', secret: randomBytes(32) }],
    });
    const cause = await causeOf(leaky.issue({ sub: 'ada' }));
    expect(cause.message).toContain('cannot reach');
    expect(cause.message).not.toContain('rt1.s1');
  });
});
