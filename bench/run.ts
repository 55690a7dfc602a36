/**
 * `pnpm bench`: every benchmark in one process and one run, printed as tables and written to
 * docs/benchmarks.md with the machine, the versions and the command. Targets are read from ratios of
 * the same run, never from absolute figures (they drift between runs on shared machines).
 *
 * Options: `--quick` (fewer, shorter rounds), `--only access-tokens|remote|edge|dpop|refresh|denylist|cluster|durability|http`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { benchAccessTokens } from './access-tokens.js';
import { benchDenylist } from './denylist.js';
import { benchDenylistCluster } from './denylist-cluster.js';
import { benchDurability } from './durability.js';
import { benchHttp } from './http.js';
import { machine, renderSection, type Section } from './lib/report.js';
import { benchRefreshTokens } from './refresh-tokens.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const rounds = quick ? 3 : 7;
const durationMs = quick ? 200 : 400;

const require = createRequire(import.meta.url);
function version(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function redisVersion(): string {
  try {
    return /v=([\d.]+)/.exec(execFileSync('redis-server', ['--version']).toString())?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

const sections: Section[] = [];
const started = new Date();
if (!only || only === 'access-tokens') {
  process.stderr.write('access tokens...\n');
  sections.push(...(await benchAccessTokens({ rounds, durationMs })).sections);
}

if (!only || only === 'remote') {
  const { benchRemoteJwks } = await import('./remote-jwks.js');
  sections.push(...(await benchRemoteJwks({ rounds, durationMs, floodSeconds: quick ? 2 : 5 })).sections);
}

if (!only || only === 'edge') {
  process.stderr.write('edge runtimes...\n');
  const { benchEdge } = await import('./edge.js');
  sections.push(...(await benchEdge({ rounds: quick ? 2 : 5 })).sections);
}

if (!only || only === 'dpop') {
  process.stderr.write('dpop...\n');
  const { benchDpop } = await import('./dpop.js');
  sections.push(...(await benchDpop({ rounds, durationMs, proofs: quick ? 20_000 : 60_000 })).sections);
}

if (!only || only === 'refresh') {
  process.stderr.write('refresh tokens...\n');
  sections.push(
    ...(await benchRefreshTokens({ durationMs: quick ? 500 : 2000, rounds: quick ? 1 : 3, quick })).sections,
  );
}

if (!only || only === 'denylist') {
  process.stderr.write('denylist...\n');
  sections.push(...(await benchDenylist({ rounds, durationMs, quick })).sections);
}

if (!only || only === 'cluster') {
  process.stderr.write('denylist on a Cluster...\n');
  sections.push(...(await benchDenylistCluster({ quick })).sections);
}

if (!only || only === 'durability') {
  process.stderr.write('durability...\n');
  sections.push(
    ...(await benchDurability(quick ? { rounds: 1, durationMs: 300 } : { rounds: 5, durationMs: 1000 }))
      .sections,
  );
}

if (!only || only === 'http') {
  process.stderr.write('http...\n');
  sections.push(...(await benchHttp({ rounds: quick ? 2 : 10, seconds: 1 })).sections);
}

const body = sections.map(renderSection).join('\n\n');
process.stdout.write(`${body}\n`);

const header = [
  '# Benchmarks',
  '',
  'Written by `pnpm bench` (bench/run.ts); do not edit by hand. Every figure of a table comes from one',
  'process and one run; compare ratios, not absolute numbers, across runs.',
  '',
  `- date: ${started.toISOString()}`,
  `- machine: ${machine()}`,
  `- command: \`pnpm bench${args.length ? ` ${args.join(' ')}` : ''}\` (${rounds} interleaved rounds of ${durationMs} ms per candidate, median)`,
  `- versions: @tessera/core ${version('@tessera/core')}, @tessera/refresh ${version('@tessera/refresh')}, @tessera/denylist ${version('@tessera/denylist')}, ioredis ${version('ioredis')}, redis-server ${redisVersion()}, fast-jwt ${version('fast-jwt')}, jsonwebtoken ${version('jsonwebtoken')}, jose ${version('jose')}`,
  '',
].join('\n');
if (!only) writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), `${header}\n${body}\n`);
