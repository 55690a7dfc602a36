/**
 * HTTP: authenticated requests/s through each adapter beside the same server's no-auth handler, in
 * one run. autocannon drives 127.0.0.1 from this process; the server runs in a child process.
 * Target (issue 5): with the verified-token cache on and the token reused, authenticated >= 0.8x.
 */
import { type ChildProcess, fork } from 'node:child_process';
import autocannon from 'autocannon';
import { FRAMEWORKS } from '../demo/src/server.js';
import { median } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

interface Target {
  readonly url: string;
  readonly token: string;
}

function serve(framework: string): Promise<{ child: ChildProcess; target: Target }> {
  const child = fork(new URL('./http-server.ts', import.meta.url), [framework], {
    execArgv: ['--conditions=@tessera/source', '--import', 'tsx'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (target) => resolve({ child, target: target as Target }));
    child.once('error', reject);
  });
}

async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<{ rps: number; errors: number }> {
  const result = await autocannon({ url, connections: 32, pipelining: 1, duration: seconds, headers });
  return { rps: result.requests.average, errors: result.non2xx + result.errors };
}

export async function benchHttp(options: {
  rounds: number;
  seconds: number;
}): Promise<{ sections: Section[] }> {
  const rows: string[][] = [];
  for (const framework of FRAMEWORKS) {
    const { child, target } = await serve(framework);
    const open: number[] = [];
    const authed: number[] = [];
    let errors = 0;
    try {
      // Warm-up, then interleaved rounds: drift hits both sides alike.
      await load(`${target.url}/api/hello`, { authorization: `Bearer ${target.token}` }, 1);
      for (let round = 0; round < options.rounds; round++) {
        // The same request bytes on both sides (the header is ignored by /open): only auth differs.
        const a = await load(
          `${target.url}/open`,
          { authorization: `Bearer ${target.token}` },
          options.seconds,
        );
        const b = await load(
          `${target.url}/api/hello`,
          { authorization: `Bearer ${target.token}` },
          options.seconds,
        );
        open.push(a.rps);
        authed.push(b.rps);
        errors += a.errors + b.errors;
      }
    } finally {
      child.disconnect();
    }
    const ratios = open.map((value, i) => authed[i]! / value);
    const ratio = median(ratios);
    rows.push([
      framework,
      formatOps(median(open)),
      formatOps(median(authed)),
      `${ratio.toFixed(2)}x`,
      ratio >= 0.8 ? 'met' : 'missed',
      String(errors),
    ]);
  }
  return {
    sections: [
      {
        title: 'HTTP: authenticated requests/s beside a no-auth handler (same server, same run)',
        header: ['adapter', 'no auth req/s', 'authenticated req/s', 'ratio', 'target >= 0.8x', 'non-2xx'],
        rows,
        notes: [
          `autocannon, 32 connections, ${options.rounds} interleaved rounds of ${options.seconds} s per handler (median), against 127.0.0.1; the server runs in its own process on the in-memory stores.`,
          'Authenticated: `GET /api/hello` with one EdDSA access token reused (verified-token cache on; the denylist check still runs on every request). No auth: `GET /open` with the same Authorization header, which that handler ignores, so both sides send and parse the same bytes.',
        ],
      },
    ],
  };
}
