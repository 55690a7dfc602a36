/**
 * A fleet: two server processes (separate Node processes, different frameworks) sharing one Redis.
 * What one server revokes, the other enforces; and a Redis outage is a 503, never a 401 or a silent
 * success.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisServer } from '../../test/support/redis.js';
import { Device } from '../src/client.js';
import { FRAMEWORKS, type Framework, startServer } from '../src/server.js';
import { createStack, newSecrets, type SharedSecrets } from '../src/stack.js';
import { ALICE } from './support/app.js';
import { type Child, startProcess, within } from './support/processes.js';

const CHILD = fileURLToPath(new URL('../src/child.ts', import.meta.url));

function startChild(
  framework: Framework,
  redisUrl: string,
  prefix: string,
  secrets: SharedSecrets,
): Promise<Child> {
  return startProcess(CHILD, [framework], {
    TESSERA_DEMO_REDIS: redisUrl,
    TESSERA_DEMO_PREFIX: prefix,
    TESSERA_DEMO_SECRETS: JSON.stringify(secrets),
  });
}

describe('two server processes sharing one Redis', () => {
  let a: Child;
  let b: Child;
  beforeAll(async () => {
    const redisUrl = `redis://127.0.0.1:${inject('redis').standalone.port}`;
    const prefix = `fleet${randomBytes(5).toString('hex')}`;
    const secrets = await newSecrets();
    [a, b] = await Promise.all([
      startChild('express', redisUrl, prefix, secrets),
      startChild('fastify', redisUrl, prefix, secrets),
    ]);
  }, 60_000);
  afterAll(() => {
    a?.process.kill('SIGTERM');
    b?.process.kill('SIGTERM');
  });

  /** The same device, talking to server A or server B (a load balancer's choice). */
  const on = (d: Device, server: Child) => d.at(server.url);

  it('a session made on one server works on the other', async () => {
    const d = new Device(a.url, 'laptop');
    expect((await d.send('POST', '/login', { body: ALICE })).status).toBe(200);
    expect((await on(d, b).send('GET', '/api/orders')).status).toBe(200);
    expect((await on(d, b).refresh()).status).toBe(200);
  });

  it('a logout on one server is enforced on the other at once', async () => {
    const d = new Device(a.url, 'laptop');
    await d.send('POST', '/login', { body: ALICE });
    const onB = on(d, b);
    expect((await onB.send('GET', '/api/orders')).status).toBe(200);
    expect((await d.logout()).status).toBe(204);
    // The revocation travels through the Redis stream: well within a second (the bench measures it).
    expect(await within(2000, async () => (await onB.send('GET', '/api/orders')).status === 401)).toBe(true);
    expect((await onB.refresh()).status).toBe(401);
  });

  it('reuse detected on one server kills the stolen access token on the other', async () => {
    const d = new Device(a.url, 'laptop');
    await d.send('POST', '/login', { body: ALICE });
    const thief = on(d, b);
    await d.refresh();
    await d.refresh();
    expect((await thief.refresh()).status).toBe(401);
    const laptopOnA = d;
    expect(await within(2000, async () => (await laptopOnA.send('GET', '/api/orders')).status === 401)).toBe(
      true,
    );
  });

  it('log out everywhere on one server ends the sessions made on the other', async () => {
    const one = new Device(a.url, 'one');
    const two = new Device(b.url, 'two');
    await one.send('POST', '/login', { body: ALICE });
    await two.send('POST', '/login', { body: ALICE });
    expect((await one.send('POST', '/auth/logout-everywhere')).status).toBe(204);
    expect(await within(2000, async () => (await two.send('GET', '/api/orders')).status === 401)).toBe(true);
    expect((await two.refresh()).status).toBe(401);
  });
});

describe('Redis outage', () => {
  it.each(FRAMEWORKS)(
    "on %s, refresh, logout and the app's own login answer 503 with Retry-After while Redis is down, and recover after",
    async (framework) => {
      // Persistence on (as docs/revocation.md requires), so a restart loses nothing.
      const redis = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
      const stack = await createStack({ redisUrl: `redis://127.0.0.1:${redis.port}` });
      const server = await startServer(framework, stack);
      try {
        const d = new Device(server.url, 'laptop');
        await d.send('POST', '/login', { body: ALICE });
        await redis.stop();
        for (const reply of [await d.refresh(), await d.logout()]) {
          expect(reply.status).toBe(503);
          expect(reply.headers.get('retry-after')).toBe('1');
        }
        // The app's own login route throws the store's TesseraError: the adapter's error handler gives
        // the built-in routes' answer, JSON, no stack.
        const login = await new Device(server.url, 'phone').send('POST', '/login', { body: ALICE });
        expect(login.status).toBe(503);
        expect(login.headers.get('retry-after')).toBe('1');
        expect(login.headers.get('content-type')).toMatch(/^application\/json/);
        expect(JSON.stringify(login.body)).not.toMatch(/ at |stack/i);
        // The failed logout did not clear the cookie: the client can retry it.
        expect(d.cookie).toBeDefined();
        await redis.resume();
        expect(await within(10_000, async () => (await d.refresh()).status === 200)).toBe(true);
      } finally {
        await server.close();
        await stack.close();
        await redis.close();
      }
    },
  );
});
