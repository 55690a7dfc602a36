/**
 * Refresh-token rotation throughput: the memory store in one process, and the Redis store at 1 and
 * 64 concurrent callers beside `redis-benchmark -c 50` EVALSHA against the same server in the same
 * run; and Redis memory per session with a 120-byte user agent.
 */
import { execFile } from 'node:child_process';
import { hash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { platform } from '@tessera/core/internal';
import { createMemoryStore, createRefreshTokens, type RefreshStore } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis.js';
import { rawSignatureCheck } from './access-tokens.js';
import { type Candidate, compare, medianOf, pairedRatio } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

const run = promisify(execFile);
const secrets = [{ id: 'b1', secret: randomBytes(32) }];

/** Rotations per second with `concurrency` callers, each rotating its own chain, for `durationMs`. */
export async function rotationsPerSecond(
  store: RefreshStore,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  const refresh = createRefreshTokens({ store, secrets, maxSessionsPerUser: 10_000 });
  const tokens = await Promise.all(
    Array.from({ length: concurrency }, async (_, i) => (await refresh.issue({ sub: `bench-${i}` })).token),
  );
  let count = 0;
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    tokens.map(async (first) => {
      let token = first;
      while (performance.now() < deadline) {
        token = (await refresh.rotate(token)).token;
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

/** One caller rotating one chain on the memory store: a candidate for `compare`. */
async function memoryRotation(): Promise<Candidate> {
  const refresh = createRefreshTokens({ store: createMemoryStore(), secrets });
  let token = (await refresh.issue({ sub: 'bench-memory' })).token;
  return {
    name: MEMORY,
    async: true,
    run: async () => {
      token = (await refresh.rotate(token)).token;
    },
  };
}

/**
 * The crypto floor of one rotation: what a rotation must compute whatever the store, with the
 * store's own HMAC construction (verify the presented token's MAC, hash its nonce, MAC the successor).
 */
function cryptoFloor(): Candidate {
  const mac = platform.hmacSha256(secrets[0]!.secret);
  const body = `rt1.b1.${'A'.repeat(33)}.12.${'n'.repeat(43)}`;
  return {
    name: FLOOR,
    run: () => {
      mac(body);
      hash('sha256', body.slice(-43), 'binary');
      return mac(body);
    },
  };
}

const MEMORY = 'memory store, one process, 1 caller';
const FLOOR = "crypto floor: 2 HMAC-SHA256 + 1 SHA-256 (the store's construction), no store";
const RAW = 'raw HS256 check (brief section 7: 467k on its reference machine)';
/** The brief's reference figures (section 7) and the issue's absolute target. */
const BRIEF_RAW_HS256 = 467_000;
const MEMORY_TARGET = 100_000;

/** The script redis-benchmark runs: the least an EVALSHA can cost the server. */
const TRIVIAL_SCRIPT = "return redis.call('EXISTS', KEYS[1])";

/**
 * The same trivial EVALSHA sent by ioredis from this process at `concurrency` callers: what the
 * client library alone allows, before any refresh-token work (the Redis store's ceiling).
 */
async function ioredisEvalshaPerSecond(
  client: Redis,
  sha: string,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  let count = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await client.evalsha(sha, 1, 'bench:key');
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

async function redisBenchmarkEvalsha(port: number, requests: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1' });
  const sha = (await client.script('LOAD', TRIVIAL_SCRIPT)) as string;
  client.disconnect();
  const { stdout } = await run('redis-benchmark', [
    '-p',
    String(port),
    '-c',
    '50',
    '-n',
    String(requests),
    '-q',
    'EVALSHA',
    sha,
    '1',
    'bench:key',
  ]);
  const match = /([\d.]+) requests per second/.exec(stdout);
  if (!match) throw new Error(`unexpected redis-benchmark output: ${stdout}`);
  return Number(match[1]);
}

export interface RefreshFigures {
  readonly sections: Section[];
}

export async function benchRefreshTokens(
  options: { durationMs?: number; rounds?: number; quick?: boolean } = {},
): Promise<RefreshFigures> {
  const durationMs = options.durationMs ?? 2000;
  const rounds = options.rounds ?? 3;
  // Memory store, crypto floor and the brief's raw HS256 check, interleaved in one run: the raw
  // check scales the absolute 100k target to this machine's speed (the brief: compare as ratios).
  const memory = await compare(
    [await memoryRotation(), cryptoFloor(), { name: RAW, run: await rawSignatureCheck('HS256') }],
    options.quick ? { rounds: 2, durationMs: 200 } : { rounds: 7, durationMs: 400 },
  );
  const speed = medianOf(memory, RAW)! / BRIEF_RAW_HS256;

  const server = await RedisServer.start();
  try {
    // The client as docs/refresh-tokens.md recommends it: no auto-pipelining. With it, 64 callers move
    // in lock step (Node encodes a batch while Redis waits, then the reverse), which halved the rate.
    const client = new Redis({ port: server.port, host: '127.0.0.1' });
    const store = createRedisStore({ client, prefix: 'bench' });
    const one: number[] = [];
    const many: number[] = [];
    const evalsha: number[] = [];
    const ioredis: number[] = [];
    const sha = (await client.script('LOAD', TRIVIAL_SCRIPT)) as string;
    // Round 0 warms up (the JIT compiles the rotation path, Redis loads the scripts) and is not
    // counted; every figure below is from the measured rounds after it.
    for (let r = 0; r <= rounds; r++) {
      const figures = [
        await rotationsPerSecond(store, 1, durationMs),
        await rotationsPerSecond(store, 64, durationMs),
        await ioredisEvalshaPerSecond(client, sha, 64, durationMs),
        await redisBenchmarkEvalsha(server.port, 200_000),
      ] as const;
      if (r === 0) continue;
      one.push(figures[0]);
      many.push(figures[1]);
      ioredis.push(figures[2]);
      evalsha.push(figures[3]);
    }
    // Memory per session: the session hash plus its share of the owner index, 120-byte user agent.
    // Its own prefix: the owner indexes of the rotation rounds above hold several sessions each.
    const sizing = createRefreshTokens({ store: createRedisStore({ client, prefix: 'size' }), secrets });
    const userAgent =
      `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36 ${'x'.repeat(120)}`.slice(
        0,
        120,
      );
    const issued = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        sizing.issue({
          sub: `user-${i}@example.com`,
          meta: { userAgent, ip: '203.0.113.7', label: 'laptop' },
        }),
      ),
    );
    let sessionBytes = 0;
    let indexBytes = 0;
    for (const { session } of issued) {
      const keys = await client.keys(`size:s:*${session.sessionId.slice(11)}`);
      sessionBytes += Number(await client.memory('USAGE', keys[0]!));
    }
    for (const key of await client.keys('size:u:*')) indexBytes += Number(await client.memory('USAGE', key));
    const ownerKeys = (await client.keys('size:u:*')).length;
    // One user's index as it grows to the default cap (50 sessions), measured after each new session.
    const grown: number[] = [];
    for (let n = 1; n <= 50; n++) {
      const { session } = await sizing.issue({
        sub: 'many@example.com',
        meta: { userAgent, ip: '203.0.113.7', label: 'laptop' },
      });
      const [index] = await client.keys(`size:u:{${session.sessionId.slice(0, 11)}}*`);
      grown.push(Number(await client.memory('USAGE', index!)));
    }
    client.disconnect();
    const perSession = sessionBytes / issued.length;
    const perIndex = indexBytes / ownerKeys;
    const indexOfTen = grown[9]!;
    // The fewest sessions per user from which every count up to the cap fits: key plus its share of the index.
    const fits = grown.map((bytes, n) => perSession + bytes / (n + 1) <= 400);
    const withinTarget = fits.findIndex((_, n) => fits.slice(n).every(Boolean)) + 1 || undefined;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const ratios = many.map((value, i) => value / evalsha[i]!);
    return {
      sections: [
        {
          title: 'Refresh tokens: rotations per second',
          header: ['store and load', 'rotations/s', 'target'],
          rows: [
            [MEMORY, formatOps(medianOf(memory, MEMORY)!), '>= 100k'],
            [FLOOR, formatOps(medianOf(memory, FLOOR)!), '(bound)'],
            [RAW, formatOps(medianOf(memory, RAW)!), '(machine speed)'],
            [
              `target scaled to this machine: 100k x raw here / 467k (speed ${speed.toFixed(2)}x)`,
              formatOps(MEMORY_TARGET * speed),
              '-',
            ],
            [
              'ratio: memory store / scaled target (per round, median)',
              `${((pairedRatio(memory, MEMORY, RAW) * BRIEF_RAW_HS256) / MEMORY_TARGET).toFixed(2)}x`,
              '>= 1.0x',
            ],
            [
              'ratio: memory store / crypto floor (per round, median)',
              `${pairedRatio(memory, MEMORY, FLOOR).toFixed(2)}x`,
              '-',
            ],
            ['Redis store, 1 caller (awaited round trips)', formatOps(median(one)), '-'],
            ['Redis store, 64 concurrent callers', formatOps(median(many)), '>= 0.5x EVALSHA'],
            ['`redis-benchmark -c 50` EVALSHA, same server', formatOps(median(evalsha)), '(reference)'],
            [
              'ioredis, the same EVALSHA, 64 concurrent callers (the client alone)',
              formatOps(median(ioredis)),
              '-',
            ],
            [
              'ratio: Redis store 64 / EVALSHA (per round, median)',
              `${median(ratios).toFixed(2)}x`,
              '>= 0.5x',
            ],
            [
              'ratio: Redis store 64 / ioredis EVALSHA (per round, median)',
              `${median(many.map((value, i) => value / ioredis[i]!)).toFixed(2)}x`,
              '-',
            ],
          ],
          notes: [
            'memory rows: 7 interleaved rounds of 400 ms, median; Redis rows: ' +
              `median of ${rounds} rounds of ${durationMs} ms after one warm-up round, one redis-server on loopback started by the bench, no persistence.`,
          ],
        },
        {
          title: 'Refresh tokens: Redis memory per session (MEMORY USAGE, 120-byte user agent)',
          header: ['key', 'bytes'],
          rows: [
            ['session key (one string in a fixed binary layout)', perSession.toFixed(0)],
            ['owner index of a user with one session (one index per user)', perIndex.toFixed(0)],
            ['owner index of a user with ten sessions', indexOfTen.toFixed(0)],
            ['per session, a user with one session (key + whole index)', (perSession + perIndex).toFixed(0)],
            [
              'per session, a user with two sessions (key + half the index)',
              (perSession + grown[1]! / 2).toFixed(0),
            ],
            [
              'per session, a user with ten sessions (key + a tenth of the index)',
              (perSession + indexOfTen / 10).toFixed(0),
            ],
            [
              'sessions per user from which a session costs <= 400 bytes (up to the cap)',
              withinTarget === undefined ? 'none up to the cap (50)' : String(withinTarget),
            ],
          ],
          notes: [
            'Target: <= 400 bytes per session. The owner index is one string per user (the random parts of its session ids), ' +
              'shared by all of its sessions; one index is measured after each session its user adds, up to the default cap of 50.',
          ],
        },
      ],
    };
  } finally {
    await server.close();
  }
}
