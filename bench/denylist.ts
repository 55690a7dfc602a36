/**
 * Denylist figures: verify with and without the denylist check (same run, paired per round);
 * propagation latency from `revokeUser` resolving in this process to rejection in another process;
 * `revokeUser` ops/s; time to rebuild the view from 100k log entries; heap per 100k entries.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createAccessTokens, generateSigningKey } from '@tessera/core';
import { createDenylist, type Denylist } from '@tessera/denylist';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/support/redis.js';
import { compare, median, medianOf, pairedRatio, percentile } from './lib/measure.js';
import { formatOps, type Section } from './lib/report.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

type VerifyRatio = Awaited<ReturnType<typeof verifyWithAndWithout>>;

async function verifyWithAndWithout(
  denylist: Denylist,
  alg: 'HS256' | 'EdDSA',
  rounds: number,
  durationMs: number,
) {
  const sign = await generateSigningKey(alg);
  const base = { issuer: 'https://auth.bench', audience: 'https://api.bench', keys: { sign } } as const;
  const plain = createAccessTokens(base);
  const checked = createAccessTokens({ ...base, revocation: denylist });
  const { token } = checked.issue({
    sub: 'bench-user',
    sid: 'bench-session',
    epoch: await denylist.epoch('bench-user'),
  });
  await checked.verify(token);
  const samples = await compare(
    [
      { name: 'without', run: () => plain.verify(token), async: true },
      { name: 'with', run: () => checked.verify(token), async: true },
    ],
    { rounds, durationMs },
  );
  return {
    without: medianOf(samples, 'without')!,
    with: medianOf(samples, 'with')!,
    ratio: pairedRatio(samples, 'with', 'without'),
  };
}

function follower(port: number, prefix: string): Promise<ChildProcess> {
  const child = fork(new URL('./denylist-follower.ts', import.meta.url), [String(port), prefix], {
    execArgv: ['--conditions=@tessera/source', '--import', 'tsx'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('error', reject);
  });
}

function nextMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (key in message) {
        child.off('message', onMessage);
        resolve(message as T);
      }
    };
    child.on('message', onMessage);
  });
}

async function propagation(
  denylist: Denylist,
  child: ChildProcess,
  count: number,
): Promise<{ fromResolve: number[]; fromCall: number[] }> {
  const latencies: number[] = [];
  const fromCall: number[] = [];
  for (let i = 0; i < count; i++) {
    const sub = `prop-${i}`;
    const watching = nextMessage(child, 'watching');
    child.send({ watch: sub });
    await watching;
    const rejected = nextMessage<{ at: string }>(child, 'rejected');
    const calledAt = process.hrtime.bigint();
    await denylist.revokeUser(sub);
    const resolvedAt = process.hrtime.bigint();
    const { at } = await rejected;
    // The other process may see the log entry before this one sees its own reply: that counts as 0.
    latencies.push(Math.max(0, Number(BigInt(at) - resolvedAt) / 1e6));
    fromCall.push(Number(BigInt(at) - calledAt) / 1e6);
  }
  return { fromResolve: latencies, fromCall };
}

export async function revocationsPerSecond(
  denylist: Denylist,
  concurrency: number,
  durationMs: number,
): Promise<number> {
  let count = 0;
  const deadline = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        await denylist.revokeUser(`rate-${worker}-${count % 1000}`);
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

/** `epochs(sub)` calls per second, 64 concurrent callers, over 10k users. */
async function epochReadsPerSecond(denylist: Denylist, ms: number): Promise<number> {
  let count = 0;
  const deadline = performance.now() + ms;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async (_, worker) => {
      while (performance.now() < deadline) {
        await denylist.epochs(`seed-${(worker * 7919 + count) % 5000}`);
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

/** MEMORY USAGE of one user's epoch and floor keys, and of the log per entry (the seeded 10k). */
async function redisBytesPerRevocation(client: Redis, prefix: string) {
  const epochKeys = await client.keys(`{${prefix}}:e:*`);
  const floorKeys = await client.keys(`{${prefix}}:f:*`);
  const epoch =
    Number(await client.memory('USAGE', epochKeys[0]!)) + Number(await client.memory('USAGE', floorKeys[0]!));
  const log = `{${prefix}}:log`;
  const logEntry = Number(await client.memory('USAGE', log, 'SAMPLES', '0')) / (await client.xlen(log));
  return { epoch, logEntry };
}

export async function rebuild<T>(
  client: Redis,
  prefix: string,
  entries: number,
  during?: (denylist: Denylist) => Promise<T>,
) {
  const log = `{${prefix}}:log`;
  const now = Date.now();
  for (let done = 0; done < entries; done += 1000) {
    const pipeline = client.pipeline();
    for (let i = done; i < Math.min(entries, done + 1000); i++) {
      // Half user epochs, half sessions, ids the size of real ones (a UUID-ish sub, a 33-char sid).
      // The format the scripts write (scripts.ts): one field per entry.
      if (i % 2 === 0) pipeline.xadd(log, '*', 'u', `${now}:1:user-${randomBytes(12).toString('hex')}`);
      else pipeline.xadd(log, '*', 's', `${now}:${randomBytes(25).toString('base64url').slice(0, 33)}`);
    }
    await pipeline.exec();
  }
  gc();
  // The view's typed arrays live outside the JS heap: count both.
  const used = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  const heapBefore = used();
  const denylist = createDenylist({ client, prefix, onWarning: () => {} });
  const started = performance.now();
  await denylist.start();
  const elapsed = performance.now() - started;
  gc();
  const heapAfter = used();
  const measured = during === undefined ? undefined : await during(denylist);
  await denylist.close();
  await client.del(`{${prefix}}:log`);
  return { ms: elapsed, heapBytes: heapAfter - heapBefore, measured };
}

export async function benchDenylist(options: { rounds?: number; durationMs?: number; quick?: boolean } = {}) {
  const rounds = options.rounds ?? 7;
  const durationMs = options.durationMs ?? 400;
  const server = await RedisServer.start();
  const client = new Redis({ port: server.port, host: '127.0.0.1', enableAutoPipelining: true });
  const prefix = 'bench';
  const denylist = createDenylist({ client, prefix, onWarning: () => {} });
  let child: ChildProcess | undefined;
  try {
    await denylist.start();
    // A realistic view: 10k revocations in the window.
    await Promise.all(Array.from({ length: 5000 }, (_, i) => denylist.revokeUser(`seed-${i}`)));
    await Promise.all(Array.from({ length: 5000 }, (_, i) => denylist.revokeSession(`seed-session-${i}`)));
    const verify = {
      HS256: await verifyWithAndWithout(denylist, 'HS256', rounds, durationMs),
      EdDSA: await verifyWithAndWithout(denylist, 'EdDSA', rounds, durationMs),
    };
    child = await follower(server.port, prefix);
    const { fromResolve: latencies, fromCall } = await propagation(
      denylist,
      child,
      options.quick ? 200 : 1000,
    );
    const reads = await epochReadsPerSecond(denylist, options.quick ? 500 : 2000);
    const redisBytes = await redisBytesPerRevocation(client, prefix);
    const rate1 = await revocationsPerSecond(denylist, 1, options.quick ? 500 : 2000);
    const rate64 = await revocationsPerSecond(denylist, 64, options.quick ? 500 : 2000);
    // The view at scale: heap and rebuild time at 100k, 500k and 1M entries; verify + check at 1M.
    const sizes = options.quick ? [100_000] : [100_000, 500_000, 1_000_000];
    const built: { entries: number; ms: number; heapBytes: number }[] = [];
    let atScale: { entries: number; HS256: VerifyRatio; EdDSA: VerifyRatio } | undefined;
    for (const entries of sizes) {
      const last = entries === sizes.at(-1);
      const result = await rebuild(client, `bench-rebuild-${entries}`, entries, async (loaded) =>
        last
          ? {
              HS256: await verifyWithAndWithout(loaded, 'HS256', rounds, durationMs),
              EdDSA: await verifyWithAndWithout(loaded, 'EdDSA', rounds, durationMs),
            }
          : undefined,
      );
      built.push({ entries, ms: result.ms, heapBytes: result.heapBytes });
      if (result.measured !== undefined) atScale = { entries, ...result.measured };
    }
    const sections: Section[] = [
      {
        title: 'Denylist: verify with and without the check',
        header: ['algorithm', 'verify, no denylist', 'verify + denylist check', 'ratio (paired)', 'target'],
        rows: (['HS256', 'EdDSA'] as const).map((alg) => [
          alg,
          formatOps(verify[alg].without),
          formatOps(verify[alg].with),
          `${verify[alg].ratio.toFixed(3)}x`,
          '>= 0.95x',
        ]),
        notes: [
          `the view holds 10k revocations (5k users, 5k sessions); ${rounds} interleaved rounds of ${durationMs} ms.`,
        ],
      },
      {
        title: 'Denylist: propagation, revocations, rebuild, memory',
        header: ['measure', 'value', 'target'],
        rows: [
          [
            `propagation p50 (revokeUser resolved here -> rejected in another process, ${latencies.length} revocations)`,
            `${percentile(latencies, 50).toFixed(2)} ms`,
            '<= 2 ms',
          ],
          ['propagation p99', `${percentile(latencies, 99).toFixed(2)} ms`, '<= 10 ms'],
          [
            'propagation from the revokeUser call (p50 / p99), round trip included',
            `${percentile(fromCall, 50).toFixed(2)} / ${percentile(fromCall, 99).toFixed(2)} ms`,
            '-',
          ],
          ['revokeUser, 1 caller (awaited)', `${formatOps(rate1)}/s`, '-'],
          ['revokeUser, 64 concurrent callers', `${formatOps(rate64)}/s`, '-'],
          ['epochs(sub) reads (login, refresh), 64 concurrent callers', `${formatOps(reads)}/s`, '-'],
          [
            'Redis bytes: an epoch key (with its floor) · a log entry',
            `${redisBytes.epoch} · ${redisBytes.logEntry.toFixed(0)} B`,
            '-',
          ],
          ...built.flatMap(({ entries, ms, heapBytes }) => [
            [
              `rebuild the view from ${entries / 1000}k log entries (start)`,
              `${ms.toFixed(0)} ms`,
              entries === 1_000_000 ? '<= 3000 ms' : entries === 100_000 ? '<= 1000 ms' : '-',
            ],
            [
              `memory of the view, ${entries / 1000}k entries (heap + typed arrays)`,
              `${(heapBytes / 2 ** 20).toFixed(1)} MB (${Math.round(heapBytes / entries)} bytes an entry)`,
              entries === 1_000_000 ? '<= 64 MB' : '-',
            ],
          ]),
          ...(atScale === undefined
            ? []
            : (['HS256', 'EdDSA'] as const).map((alg) => [
                `verify + check / verify, ${alg}, ${atScale!.entries / 1000}k entries in the view`,
                `${atScale![alg].ratio.toFixed(3)}x`,
                '>= 0.95x',
              ])),
        ],
        notes: [
          'one redis-server on loopback started by the bench, no persistence; the other process is a child process following the same log.',
          `propagation: ${latencies.filter((value) => value === 0).length} of ${latencies.length} revocations were already rejected in the other process when revokeUser resolved here (counted as 0 ms); median ${median(latencies).toFixed(2)} ms.`,
          'rebuild entries are half user epochs (30-char ids), half sessions (33-char ids).',
        ],
      },
    ];
    return { sections };
  } finally {
    child?.send({ stop: true });
    await denylist.close();
    client.disconnect();
    await server.close();
  }
}
