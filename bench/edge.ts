/**
 * Edge runtimes: the size of a verify-only edge bundle (esbuild, minified and gzipped), and tessera
 * verify against jose `jwtVerify` on Deno, Bun and workerd (same runtime, same token, interleaved).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { freePort } from '../test/support/redis.js';
import { median } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
const ALGS = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
const EDGE = {
  conditions: ['@tessera/web', '@tessera/source', 'worker', 'browser'],
  mainFields: ['module', 'main'],
};
const BUNDLE_LIMIT = 25 * 1024;

type Samples = Record<string, { tessera: number[]; jose: number[] }>;

export async function benchEdge(options: { rounds: number }): Promise<{ sections: Section[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-edge-'));
  try {
    const size = await bundleSize();
    await build({
      entryPoints: [join(here, 'edge/runtime-entry.ts'), join(here, 'edge/runtime-worker.ts')],
      outdir: dir,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      ...EDGE,
      banner: { js: `globalThis.BENCH_ROUNDS = ${options.rounds};` },
      logLevel: 'silent',
    });
    const runtimes: [string, Samples][] = [];
    for (const [name, command] of [
      ['Deno', [bin('deno'), 'run', '--quiet', join(dir, 'runtime-entry.js')]],
      ['Bun', [bin('bun'), join(dir, 'runtime-entry.js')]],
    ] as const) {
      const run = spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 600_000 });
      const line = run.stdout.split('\n').find((text) => text.startsWith('RUNTIME_BENCH '));
      if (line === undefined)
        throw new Error(`${name}: no result\n${run.stdout}${run.stderr}`.slice(0, 2000));
      runtimes.push([name, JSON.parse(line.slice('RUNTIME_BENCH '.length)) as Samples]);
      process.stderr.write(`  edge: ${name} done\n`);
    }
    runtimes.push(['workerd', await benchWorkerd(dir, options.rounds)]);
    process.stderr.write('  edge: workerd done\n');

    const rows = runtimes.flatMap(([runtime, samples]) =>
      ALGS.map((alg) => {
        const { tessera, jose } = samples[alg]!;
        const ratio = median(tessera.map((value, round) => value / jose[round]!));
        return [
          runtime,
          alg,
          formatOps(median(tessera)),
          formatOps(median(jose)),
          `${ratio.toFixed(2)}x`,
          ratio >= 1 ? 'met' : 'NOT met',
        ];
      }),
    );
    return {
      sections: [
        {
          title: 'Edge: the verify-only bundle',
          header: ['bundle', 'minified', 'minified + gzip', 'target <= 25 KB'],
          rows: [
            [
              '`bench/edge/verify-only.ts` (createAccessTokens + createRemoteJwks, a Worker fetch handler)',
              `${(size.minified / 1024).toFixed(1)} KB`,
              `${(size.gzipped / 1024).toFixed(1)} KB`,
              size.gzipped <= BUNDLE_LIMIT ? 'met' : 'NOT met',
            ],
          ],
          notes: [
            'esbuild, `platform: neutral` (a `node:` import fails the build), conditions `@tessera/web`, `worker`, `browser`; gzip level 9.',
          ],
        },
        {
          title: 'Edge: verify ops/s on other runtimes (tessera on WebCrypto against jose, same token)',
          header: ['runtime', 'alg', 'tessera verify', 'jose jwtVerify', 'tessera / jose', 'target >= 1.0x'],
          rows,
          notes: [
            'An 8-claim token; each verify awaited, one after another. Deno and Bun: interleaved rounds of 300 ms in the runtime. workerd: the host times each request of n verifies (a Worker clock stands still while it computes), interleaved.',
          ],
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bundleSize(): Promise<{ minified: number; gzipped: number }> {
  const result = await build({
    entryPoints: [join(here, 'edge/verify-only.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    ...EDGE,
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0]!.contents;
  return { minified: output.length, gzipped: gzipSync(output, { level: 9 }).length };
}

async function benchWorkerd(dir: string, rounds: number): Promise<Samples> {
  const port = await freePort();
  writeFileSync(
    join(dir, 'bench.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .bench) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const bench :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "runtime-worker.js") ],
  compatibilityDate = "2025-09-01",
);
`,
  );
  const child = spawn(bin('workerd'), ['serve', join(dir, 'bench.capnp')], { stdio: 'ignore' });
  try {
    const call = async (lib: string, alg: string, n: number) => {
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/run?lib=${lib}&alg=${alg}&n=${n}`);
      await response.text();
      if (!response.ok) throw new Error(`workerd answered ${response.status}`);
      return (n * 1000) / (performance.now() - started);
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await call('tessera', 'HS256', 1);
        break;
      } catch (error) {
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const samples: Samples = {};
    for (const alg of ALGS) {
      // Warm up, then size each request to about 300 ms.
      const warm = await call('tessera', alg, 200);
      await call('jose', alg, 200);
      const n = Math.max(50, Math.round(warm * 0.3));
      const entry = { tessera: [] as number[], jose: [] as number[] };
      for (let round = 0; round < rounds; round++) {
        entry.tessera.push(await call('tessera', alg, n));
        entry.jose.push(await call('jose', alg, n));
      }
      samples[alg] = entry;
    }
    return samples;
  } finally {
    child.kill('SIGTERM');
  }
}
