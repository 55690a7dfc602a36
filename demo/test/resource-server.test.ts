/**
 * A resource server with instant revocation: the auth server issues (sessions, refresh tokens, the
 * Redis denylist); the reports service is a separate process that verifies through the auth
 * server's JWK Set and follows the same Redis denylist. Every revocation made at the auth server is
 * enforced there too, within the propagation the bench measures (the test allows 2 s).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Device } from '../src/client.js';
import { type RunningServer, startServer } from '../src/server.js';
import { createStack, PUBLIC_ORIGIN, type Stack } from '../src/stack.js';
import { walkthrough } from '../src/walkthrough.js';
import { ALICE } from './support/app.js';
import { type Child, startProcess, within } from './support/processes.js';

const RESOURCE_CHILD = fileURLToPath(new URL('../src/resource-child.ts', import.meta.url));

describe('a resource server in its own process, behind the JWK Set, following the Redis denylist', () => {
  let stack: Stack;
  let auth: RunningServer;
  let reports: Child;
  beforeAll(async () => {
    const redisUrl = `redis://127.0.0.1:${inject('redis').standalone.port}`;
    const prefix = `rs${randomBytes(5).toString('hex')}`;
    stack = await createStack({ redisUrl, prefix, dpop: { origin: PUBLIC_ORIGIN } });
    auth = await startServer('hono', stack);
    reports = await startProcess(RESOURCE_CHILD, [], {
      TESSERA_DEMO_JWKS: `${auth.url}/.well-known/jwks.json`,
      TESSERA_DEMO_REDIS: redisUrl,
      TESSERA_DEMO_PREFIX: prefix,
    });
  }, 60_000);
  afterAll(async () => {
    reports?.process.kill('SIGTERM');
    await auth?.close();
    await stack?.close();
  });

  /** `device`'s access token, presented to the reports service. */
  const atReports = (device: Device) => {
    const there = new Device(reports.url, device.name);
    there.accessToken = device.accessToken;
    return () => there.send('GET', '/api/reports');
  };
  const refusedWithin = async (probe: () => Promise<{ status: number }>) =>
    within(2000, async () => (await probe()).status === 401);

  it('verifies the auth server’s tokens with keys it fetched, and refuses what is not one', async () => {
    const laptop = new Device(auth.url, 'laptop');
    expect((await laptop.send('POST', '/login', { body: ALICE })).status).toBe(200);
    const reply = await atReports(laptop)();
    expect(reply).toMatchObject({ status: 200, body: { sub: 'alice', service: 'reports' } });
    const forged = new Device(reports.url, 'x');
    forged.accessToken = `${laptop.accessToken!.slice(0, -4)}AAAA`;
    expect((await forged.send('GET', '/api/reports')).status).toBe(401);
    expect(
      (
        await new Device(reports.url, 'x').send('GET', `/api/reports?access_token=${laptop.accessToken}`, {
          bearer: false,
        })
      ).status,
    ).toBe(400);
  });

  it.each([
    ['logout', (d: Device) => d.logout()],
    ['logout everywhere', (d: Device) => d.send('POST', '/auth/logout-everywhere')],
    [
      'reuse of a spent refresh token',
      async (d: Device) => {
        const thief = d.stolenBy('thief');
        await d.refresh();
        await d.refresh();
        return thief.refresh();
      },
    ],
  ] as const)('a %s at the auth server is enforced by the reports service', async (_name, revoke) => {
    const laptop = new Device(auth.url, 'laptop');
    await laptop.send('POST', '/login', { body: ALICE });
    const before = atReports(laptop);
    expect((await before()).status).toBe(200);
    await revoke(laptop);
    expect(await refusedWithin(before)).toBe(true);
  });

  it('the walkthrough against both services passes, the reports scene included', async () => {
    const { checks } = await walkthrough(auth.url, { reportsUrl: reports.url, dpopOrigin: PUBLIC_ORIGIN });
    const failed = checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    // Scene 2 (200), scene 4 (revoked), scene 4b (a stolen DPoP-bound token as a bearer token).
    expect(checks.filter((c) => c.request.includes('/api/reports')).map((c) => c.status)).toEqual([
      200, 401, 401,
    ]);
  });
});
