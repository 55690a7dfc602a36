/**
 * The edge examples, run where they would run: the Cloudflare Worker in workerd (no nodejs_compat),
 * bundled for the edge conditions, against a real JWK Set server; the Next.js middleware called with
 * Fetch requests.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from '../../packages/core/test/support/jwks-server.js';
import { freePort } from '../../test/support/redis.js';

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';
const examples = fileURLToPath(new URL('../examples/', import.meta.url));
const workerdBin = fileURLToPath(new URL('../../node_modules/.bin/workerd', import.meta.url));

let jwks: JwksServer;
let auth: ReturnType<typeof createAccessTokens>;

beforeAll(async () => {
  auth = createAccessTokens({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { sign: await generateSigningKey('EdDSA', { kid: 'edge' }) },
  });
  jwks = await startJwksServer({ body: auth.jwks(), headers: { 'cache-control': 'max-age=300' } });
});
afterAll(() => jwks.close());

describe('examples/cloudflare-worker.ts in workerd', () => {
  let dir: string;
  let url: string;
  let stop: () => void;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-worker-'));
    await build({
      entryPoints: [join(examples, 'cloudflare-worker.ts')],
      outfile: join(dir, 'worker.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['@tessera/web', '@tessera/source', 'workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      logLevel: 'silent',
    });
    const port = await freePort();
    writeFileSync(
      join(dir, 'config.capnp'),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2025-09-01",
  globalOutbound = "internet",
  bindings = [
    (name = "ISSUER", text = "${ISSUER}"),
    (name = "AUDIENCE", text = "${AUDIENCE}"),
    (name = "JWKS_URL", text = "${jwks.url}"),
  ],
);
`,
    );
    const child = spawn(workerdBin, ['serve', join(dir, 'config.capnp')], { stdio: 'ignore' });
    stop = () => child.kill('SIGTERM');
    url = `http://127.0.0.1:${port}/reports`;
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(url);
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }, 60_000);
  afterAll(() => {
    stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (authorization?: string) =>
    fetch(url, { headers: authorization === undefined ? {} : { authorization } });

  it('the bundle was built for the edge: WebCrypto, no node: import', () => {
    const bundle = readFileSync(join(dir, 'worker.js'), 'utf8');
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(bundle).toContain('crypto.subtle');
  });

  it('answers 200 to a valid token, 403 to one without the scope, 401 to none or a forged one', async () => {
    const good = auth.issue({ sub: 'user-42', scope: 'reports:read' }).token;
    const response = await call(`Bearer ${good}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'user-42' });
    expect((await call(`Bearer ${auth.issue({ sub: 'user-42' }).token}`)).status).toBe(403);
    expect((await call()).status).toBe(401);
    expect((await call(`Bearer ${good.slice(0, -3)}AAA`)).status).toBe(401);
    expect((await call('Basic dXNlcjpwYXNz')).status).toBe(401);
    // One download of the set served every request (counted at the JWK Set server).
    expect(jwks.requests).toBe(1);
  });
});

describe('examples/next-middleware.ts', () => {
  it('lets a verified request through and answers the rest', async () => {
    process.env.TESSERA_ISSUER = ISSUER;
    process.env.TESSERA_AUDIENCE = AUDIENCE;
    process.env.TESSERA_JWKS_URL = jwks.url;
    const { middleware, config } = await import('../examples/next-middleware.js');
    expect(config.matcher).toBe('/api/:path*');
    const request = (authorization?: string) =>
      new Request('https://app.example.com/api/orders', {
        headers: authorization === undefined ? {} : { authorization },
      });
    const good = auth.issue({ sub: 'user-42' }).token;
    await expect(middleware(request(`Bearer ${good}`))).resolves.toBeUndefined();
    expect((await middleware(request()))?.status).toBe(401);
    expect((await middleware(request(`Bearer ${good}x`)))?.status).toBe(401);
  });
});
