/**
 * Refresh-token rotation throughput: the memory store in one process, and the Redis store at 1 and
 * 64 concurrent callers beside `redis-benchmark -c 50` EVALSHA against the same server in the same
 * run; and Redis memory per session with a 120-byte user agent.
 */
import { execFile } from 'node:child_process';
import { createHmac, hash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createMemoryStore, createRefreshTokens, type RefreshStore } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis.js';
import { formatOps, type Section } from './lib/report.js';

const run = promisify(execFile);
const secrets = [{ id: 'b1', secret: randomBytes(32) }];

/** Rotations per second with `concurrency` callers, each rotating its own chain, for `durationMs`. */
async function rotationsPerSecond(
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

/**
 * The crypto floor of one rotation on this machine: what a rotation must compute whatever the store
 * (verify the presented token's HMAC, hash its nonce, MAC the successor). Rotations/s can't beat it.
 */
function cryptoFloorPerSecond(durationMs: number): number {
  const key = secrets[0]!.secret;
  const body = `rt1.b1.${'A'.repeat(33)}.12.${'n'.repeat(43)}`;
  let count = 0;
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) {
      createHmac('sha256', key).update(body, 'latin1').digest('base64url');
      hash('sha256', body.slice(-43), 'buffer');
      createHmac('sha256', key).update(body, 'latin1').digest('base64url');
    }
    count += 100;
  }
  return (count * 1000) / (performance.now() - start);
}

async function redisBenchmarkEvalsha(port: number, requests: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1' });
  const sha = (await client.script('LOAD', "return redis.call('EXISTS', KEYS[1])")) as string;
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
  options: { durationMs?: number; rounds?: number } = {},
): Promise<RefreshFigures> {
  const durationMs = options.durationMs ?? 2000;
  const rounds = options.rounds ?? 3;
  const memory: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    memory.push(await rotationsPerSecond(createMemoryStore(), 1, durationMs));
    floor.push(cryptoFloorPerSecond(durationMs / 2));
  }

  const server = await RedisServer.start();
  try {
    const client = new Redis({ port: server.port, host: '127.0.0.1', enableAutoPipelining: true });
    const store = createRedisStore({ client, prefix: 'bench' });
    const one: number[] = [];
    const many: number[] = [];
    const evalsha: number[] = [];
    for (let r = 0; r < rounds; r++) {
      one.push(await rotationsPerSecond(store, 1, durationMs));
      many.push(await rotationsPerSecond(store, 64, durationMs));
      evalsha.push(await redisBenchmarkEvalsha(server.port, 200_000));
    }
    // Memory per session: the session hash plus its share of the owner index, 120-byte user agent.
    const sizing = createRefreshTokens({ store, secrets });
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
      const keys = await client.keys(`bench:s:*${session.sessionId.slice(11)}`);
      sessionBytes += Number(await client.memory('USAGE', keys[0]!));
    }
    for (const key of await client.keys('bench:u:*')) indexBytes += Number(await client.memory('USAGE', key));
    const ownerKeys = (await client.keys('bench:u:*')).length;
    client.disconnect();
    const perSession = sessionBytes / issued.length;
    const perIndex = indexBytes / ownerKeys;
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const ratios = many.map((value, i) => value / evalsha[i]!);
    return {
      sections: [
        {
          title: 'Refresh tokens: rotations per second',
          header: ['store and load', 'rotations/s', 'target'],
          rows: [
            ['memory store, one process, 1 caller', formatOps(median(memory)), '>= 100k'],
            [
              'crypto floor: 2 HMAC-SHA256 + 1 SHA-256 per rotation, no store',
              formatOps(median(floor)),
              '(bound)',
            ],
            [
              'ratio: memory store / crypto floor (per round, median)',
              `${median(memory.map((value, i) => value / floor[i]!)).toFixed(2)}x`,
              '-',
            ],
            ['Redis store, 1 caller (awaited round trips)', formatOps(median(one)), '-'],
            ['Redis store, 64 concurrent callers', formatOps(median(many)), '>= 0.5x EVALSHA'],
            ['`redis-benchmark -c 50` EVALSHA, same server', formatOps(median(evalsha)), '(reference)'],
            [
              'ratio: Redis store 64 / EVALSHA (per round, median)',
              `${median(ratios).toFixed(2)}x`,
              '>= 0.5x',
            ],
          ],
          notes: [
            `median of ${rounds} rounds of ${durationMs} ms; one redis-server on loopback started by the bench, no persistence.`,
          ],
        },
        {
          title: 'Refresh tokens: Redis memory per session (MEMORY USAGE, 120-byte user agent)',
          header: ['key', 'bytes'],
          rows: [
            ['session key (one MessagePack string)', perSession.toFixed(0)],
            ['owner index (one per user; one session each here)', perIndex.toFixed(0)],
            ['total for a user with one session', (perSession + perIndex).toFixed(0)],
          ],
          notes: ['Target: <= 400 bytes per session. The owner index is shared by all sessions of a user.'],
        },
      ],
    };
  } finally {
    await server.close();
  }
}
