/**
 * Core's conformance suite (test/runtimes/conformance.ts) inside the runtimes where Node's APIs are
 * missing: Deno, Bun and Cloudflare's workerd (without nodejs_compat), installed from npm, and Node
 * itself on the WebCrypto platform. The bundle is built for the `@tessera/web` condition on esbuild's
 * neutral platform, where any `node:` import fails the build: the build is the proof that core's
 * verify and issue need none.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceReport } from './runtimes/conformance.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-runtimes-'));
  await build({
    entryPoints: [join(here, 'runtimes/entry.ts'), join(here, 'runtimes/worker.ts')],
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['@tessera/web', '@tessera/source', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (services = [ (name = "main", worker = .conformance) ]);
const conformance :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2025-09-01",
);
`,
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The report a runtime printed (one `CONFORMANCE {...}` line). */
function reportOf(output: string): ConformanceReport {
  const line = output.split('\n').find((text) => text.includes('CONFORMANCE {'));
  if (line === undefined) throw new Error(`no report in the output:\n${output.slice(0, 2000)}`);
  return JSON.parse(line.slice(line.indexOf('CONFORMANCE ') + 12)) as ConformanceReport;
}

const RUNTIMES: Record<string, () => string[]> = {
  'Node (WebCrypto platform)': () => [process.execPath, join(dir, 'entry.js')],
  Deno: () => [bin('deno'), 'run', '--quiet', join(dir, 'entry.js')],
  Bun: () => [bin('bun'), join(dir, 'entry.js')],
  'workerd (no nodejs_compat)': () => [bin('workerd'), 'test', join(dir, 'config.capnp')],
};

describe('core conformance on every runtime', () => {
  it('the bundle has no node: import and carries the WebCrypto platform only', () => {
    const bundle = readFileSync(join(dir, 'entry.js'), 'utf8');
    expect(bundle).not.toMatch(/from\s*["']node:|require\(["']node:/);
    expect(bundle).not.toContain('createPublicKey');
  });

  it.each(Object.keys(RUNTIMES))(
    '%s: every case holds',
    (name) => {
      const [command, ...args] = RUNTIMES[name]!();
      const run = spawnSync(command!, args, { encoding: 'utf8', timeout: 120_000, cwd: dir });
      const report = reportOf(`${run.stdout}\n${run.stderr}`);
      expect(report.platform).toBe('webcrypto');
      expect(report.results.filter((result) => !result.ok)).toEqual([]);
      // RFC vectors, six algorithms' round trips, the hostile catalogue and the remote set.
      expect(report.results.length).toBeGreaterThanOrEqual(100);
      expect(run.status).toBe(0);
    },
    130_000,
  );
});
