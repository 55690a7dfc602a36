/**
 * HTTP: authenticated requests/s through each adapter beside the same server's no-auth handler, in
 * one run. autocannon drives 127.0.0.1 from this process; the server runs in a child process.
 * Target (issue 5): with the verified-token cache on and the token reused, authenticated >= 0.8x.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { FRAMEWORKS } from '../demo/src/server.js';
import { median } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

interface Target {
  readonly url: string;
  readonly token: string;
}

/**
 * CPU pinning: the server on the last core, this process (autocannon) on the others. Both ends run
 * on one machine, so without it they fight over the same cores and a run swings by +-15%; pinned,
 * the server has one core to itself, as a single-threaded Node server uses. Linux `taskset` only;
 * elsewhere, or on one core, nothing is pinned (the notes say which).
 */
const pinning = (() => {
  const cores = availableParallelism();
  if (process.platform !== 'linux' || cores < 2) return undefined;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return { server: String(cores - 1), client: cores === 2 ? '0' : `0-${cores - 2}`, all: `0-${cores - 1}` };
})();

function serve(framework: string): Promise<{ child: ChildProcess; target: Target }> {
  const script = new URL('./http-server.ts', import.meta.url).pathname;
  const execArgv = ['--conditions=@tessera/source', '--import', 'tsx'];
  const child =
    pinning === undefined
      ? fork(script, [framework], { execArgv })
      : spawn('taskset', ['-c', pinning.server, process.execPath, ...execArgv, script, framework], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
  return new Promise((resolve, reject) => {
    child.once('message', (target) => resolve({ child, target: target as Target }));
    child.once('error', reject);
  });
}

/** Pins this process (and its threads) to the client cores for the duration of `work`. */
async function pinned<T>(work: () => Promise<T>): Promise<T> {
  if (pinning === undefined) return work();
  execFileSync('taskset', ['-a', '-p', '-c', pinning.client, String(process.pid)], { stdio: 'ignore' });
  try {
    return await work();
  } finally {
    execFileSync('taskset', ['-a', '-p', '-c', pinning.all, String(process.pid)], { stdio: 'ignore' });
  }
}

/** The server process's CPU time so far (user + system, µs), asked over IPC. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve((message as { cpu: number }).cpu));
    child.send('cpu');
  });
}

interface Load {
  readonly rps: number;
  readonly errors: number;
  /** Server CPU per completed request, µs: what its requests/s are once it is the bottleneck. */
  readonly cpuPerRequest: number;
}

async function load(
  child: ChildProcess,
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<Load> {
  const before = await serverCpu(child);
  const result = await autocannon({ url, connections: 32, pipelining: 1, duration: seconds, headers });
  const cpu = (await serverCpu(child)) - before;
  return {
    rps: result.requests.average,
    errors: result.non2xx + result.errors,
    cpuPerRequest: cpu / Math.max(1, result.requests.total),
  };
}

export async function benchHttp(options: {
  rounds: number;
  seconds: number;
}): Promise<{ sections: Section[] }> {
  return pinned(() => measureHttp(options));
}

async function measureHttp(options: { rounds: number; seconds: number }): Promise<{ sections: Section[] }> {
  const rows: string[][] = [];
  for (const framework of FRAMEWORKS) {
    const { child, target } = await serve(framework);
    const open: Load[] = [];
    const authed: Load[] = [];
    try {
      // Warm-up, then interleaved rounds: drift hits both sides alike. Both handlers get 2 s of
      // warm-up: the authenticated path has more code for the JIT to settle.
      const headers = { authorization: `Bearer ${target.token}` };
      for (const path of ['/open', '/api/hello']) await load(child, `${target.url}${path}`, headers, 2);
      for (let round = 0; round < options.rounds; round++) {
        // The same request bytes on both sides (the header is ignored by /open): only auth differs.
        // ABBA order (open first in even rounds, authenticated first in odd ones): a drift of the
        // machine's speed within a round does not favour either side.
        const runOpen = () => load(child, `${target.url}/open`, headers, options.seconds);
        const runAuthed = () => load(child, `${target.url}/api/hello`, headers, options.seconds);
        if (round % 2 === 0) {
          open.push(await runOpen());
          authed.push(await runAuthed());
        } else {
          authed.push(await runAuthed());
          open.push(await runOpen());
        }
      }
    } finally {
      child.disconnect();
    }
    const ratio = median(open.map((a, i) => authed[i]!.rps / a.rps));
    const cpuRatio = median(open.map((a, i) => a.cpuPerRequest / authed[i]!.cpuPerRequest));
    const errors = [...open, ...authed].reduce((sum, run) => sum + run.errors, 0);
    rows.push([
      framework,
      formatOps(median(open.map((run) => run.rps))),
      formatOps(median(authed.map((run) => run.rps))),
      `${ratio.toFixed(2)}x`,
      `${median(open.map((run) => run.cpuPerRequest)).toFixed(1)} / ${median(authed.map((run) => run.cpuPerRequest)).toFixed(1)}`,
      `${cpuRatio.toFixed(2)}x`,
      ratio >= 0.8 ? 'met' : 'missed',
      cpuRatio >= 0.8 ? 'met' : 'missed',
      String(errors),
    ]);
  }
  return {
    sections: [
      {
        title: 'HTTP: authenticated requests/s beside a no-auth handler (same server, same run)',
        header: [
          'adapter',
          'no auth req/s',
          'authenticated req/s',
          'ratio (req/s)',
          'server CPU µs/request (no auth / auth)',
          'ratio (CPU)',
          'target >= 0.8x (req/s)',
          'target >= 0.8x (CPU)',
          'non-2xx',
        ],
        rows,
        notes: [
          `autocannon, 32 connections, ${options.rounds} interleaved rounds (ABBA order) of ${options.seconds} s per handler (median), against 127.0.0.1; the server runs in its own process on the in-memory stores.`,
          pinning === undefined
            ? 'No CPU pinning here (needs Linux `taskset` and two cores): client and server share the cores.'
            : `CPU pinning (taskset): the server on core ${pinning.server}, autocannon on core ${pinning.client}.`,
          'ratio (req/s): authenticated / no-auth requests per second, per round, median. ratio (CPU): no-auth / authenticated server CPU time per request, per round, median: the requests/s each handler allows once the server is the bottleneck, and less exposed to the load generator than req/s on a shared VM, where one short run of a handler can swing by 20%.',
          'Authenticated: `GET /api/hello` with one EdDSA access token reused (verified-token cache on; the denylist check still runs on every request). No auth: `GET /open` with the same Authorization header, which that handler ignores, so both sides send and parse the same bytes.',
        ],
      },
    ],
  };
}
