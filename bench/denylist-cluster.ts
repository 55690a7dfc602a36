/**
 * The sharded denylist on a three-master Redis Cluster started by the bench: how the load spreads
 * over the masters (commands each master served, from INFO commandstats, max over mean) during a
 * run of logins, refreshes and revocations, and revocations/s and epoch reads/s against one master
 * (`shards: 1`, every denylist key in one slot) and against three (`shards: 48`), same run.
 */
import { randomBytes } from 'node:crypto';
import { sha256Name } from '@tessera/core/internal';
import { createDenylist, type Denylist } from '@tessera/denylist';
import { createRefreshTokens } from '@tessera/refresh';
import { createRedisStore } from '@tessera/refresh/redis';
import { Cluster, Redis } from 'ioredis';
import { shardLayout } from '../packages/denylist/src/lib/shards.js';
import { RedisCluster } from '../test/support/redis.js';
import { formatOps, type Section } from './lib/report.js';

/** Commands served so far by each master (the sum of INFO commandstats calls). */
async function commandsPerMaster(masters: readonly Redis[]): Promise<number[]> {
  return Promise.all(
    masters.map(async (master) => {
      const stats = String(await master.info('commandstats'));
      return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    }),
  );
}

/** CPU seconds (user + system) each master has used so far (INFO cpu). */
async function cpuPerMaster(masters: readonly Redis[]): Promise<number[]> {
  return Promise.all(
    masters.map(async (master) => {
      const info = String(await master.info('cpu'));
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 'NaN');
      return field('used_cpu_user') + field('used_cpu_sys');
    }),
  );
}

interface Spread {
  /** Commands each master served. */
  commands: number[];
  /** CPU seconds each master used. */
  cpu: number[];
  /** Wall seconds of the run. */
  seconds: number;
}

/** Runs `work` and returns the commands each master served, and the CPU it used, meanwhile. */
async function spreadOf(masters: readonly Redis[], work: () => Promise<void>): Promise<Spread> {
  const [commandsBefore, cpuBefore] = await Promise.all([commandsPerMaster(masters), cpuPerMaster(masters)]);
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const [commandsAfter, cpuAfter] = await Promise.all([commandsPerMaster(masters), cpuPerMaster(masters)]);
  return {
    commands: commandsAfter.map((calls, i) => calls - commandsBefore[i]!),
    cpu: cpuAfter.map((used, i) => used - cpuBefore[i]!),
    seconds,
  };
}

/**
 * What the Cluster could serve if the client kept up: the measured rate divided by the busiest
 * master's share of one core (Redis runs commands on one thread, so that master saturates first).
 */
const projected = (perSecond: number, spread: Spread) =>
  perSecond / (Math.max(...spread.cpu) / spread.seconds);

const maxOverMean = (counts: readonly number[]) =>
  Math.max(...counts) / (counts.reduce((sum, count) => sum + count, 0) / counts.length);

/** `concurrency` callers running `step(worker, n)` until the deadline; calls per second. */
async function rate(concurrency: number, ms: number, step: (worker: number, n: number) => Promise<unknown>) {
  let count = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await step(worker, n);
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

/**
 * Start-up of a process with `entries` live revocations spread over 48 shards on the three masters
 * (half users, half sessions, ids the size of real ones): the median of three starts, ms.
 */
async function shardedRebuild(client: Cluster, entries: number): Promise<number> {
  const prefix = 'bench-rebuild';
  const layout = shardLayout(prefix, 48);
  const now = Date.now();
  const byShard = layout.shards.map(() => [] as [string, string][]);
  for (let i = 0; i < entries; i++) {
    const user = i % 2 === 0;
    const id = user
      ? `user-${randomBytes(12).toString('hex')}`
      : randomBytes(25).toString('base64url').slice(0, 33);
    byShard[layout.shardOfName(sha256Name(id))]!.push(
      user ? ['u1', `${now}:1:${id}`] : ['s1', `${now}:${id}`],
    );
  }
  await Promise.all(
    byShard.map(async (shardEntries, shard) => {
      const log = layout.shards[shard]!.log;
      for (let at = 0; at < shardEntries.length; at += 1000) {
        const pipeline = client.pipeline();
        for (const [field, value] of shardEntries.slice(at, at + 1000)) pipeline.xadd(log, '*', field, value);
        await pipeline.exec();
      }
    }),
  );
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const denylist = createDenylist({ client, prefix, shards: 48, onWarning: () => {} });
    const started = performance.now();
    await denylist.start();
    times.push(performance.now() - started);
    await denylist.close();
  }
  return times.sort((a, b) => a - b)[1]!;
}

interface LayoutFigures {
  shards: number;
  mixed: { perSecond: number; spread: Spread };
  reads: { perSecond: number; spread: Spread };
  revocations: { perSecond: number; spread: Spread };
}

export async function benchDenylistCluster(options: { quick?: boolean } = {}) {
  const ms = options.quick ? 1000 : 2000;
  const rounds = options.quick ? 1 : 3;
  const redis = await RedisCluster.start(3);
  const client = new Cluster(redis.startupNodes);
  const masters = (await redis.masters()).map((node) => new Redis({ port: node.port, host: '127.0.0.1' }));
  const refresh = createRefreshTokens({
    store: createRedisStore({ client, prefix: 'bench:rt' }),
    secrets: [{ id: 'b1', secret: randomBytes(32) }],
    maxSessionsPerUser: 10_000,
  });
  const figures: LayoutFigures[] = [];
  const layouts = [1, 48];
  let rebuildMs: number | undefined;
  try {
    const denylists: Denylist[] = [];
    for (const shards of layouts) {
      const denylist = createDenylist({ client, prefix: `bench-${shards}`, shards, onWarning: () => {} });
      await denylist.start();
      denylists.push(denylist);
    }
    const tokens = await Promise.all(
      Array.from({ length: 64 }, async (_, worker) => (await refresh.issue({ sub: `user-${worker}` })).token),
    );
    type Measure = { perSecond: number; spread: Spread };
    const runs = layouts.map(() => ({
      mixed: [] as Measure[],
      reads: [] as Measure[],
      revocations: [] as Measure[],
    }));
    const measure = async (work: () => Promise<number>): Promise<Measure> => {
      let perSecond = 0;
      const spread = await spreadOf(masters, async () => {
        perSecond = await work();
      });
      return { perSecond, spread };
    };
    // Rounds alternate the layouts, so both meet the same machine noise; each figure is the median round.
    for (let round = 0; round < rounds; round++) {
      for (const [index, denylist] of denylists.entries()) {
        // Logins, refreshes and revocations as the sessions package makes them: each login and each
        // refresh reads the user's epochs; one request in ten is a logout (a session revocation), one
        // in a hundred a "log out everywhere".
        runs[index]!.mixed.push(
          await measure(() =>
            rate(64, ms, async (worker, n) => {
              const sub = `user-${worker}-${n % 500}`;
              if (n % 100 === 99) return denylist.revokeUser(sub);
              if (n % 10 === 9) {
                await denylist.revokeSession(`sid-${round}-${worker}-${n}`);
                tokens[worker] = (await refresh.issue({ sub })).token;
                return denylist.epochs(sub);
              }
              tokens[worker] = (await refresh.rotate(tokens[worker]!)).token;
              return denylist.epochs(`user-${worker}`);
            }),
          ),
        );
        runs[index]!.reads.push(
          await measure(() => rate(128, ms, (worker, n) => denylist.epochs(`reader-${worker}-${n % 1000}`))),
        );
        runs[index]!.revocations.push(
          await measure(() =>
            rate(128, ms, (worker, n) =>
              n % 2 === 0
                ? denylist.revokeUser(`revoked-${worker}-${n % 1000}`)
                : denylist.revokeSession(`s-${round}-${worker}-${n}`),
            ),
          ),
        );
      }
    }
    const medianRun = (list: Measure[]) =>
      [...list].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(list.length / 2)]!;
    for (const [index, shards] of layouts.entries()) {
      const run = runs[index]!;
      figures.push({
        shards,
        mixed: medianRun(run.mixed),
        reads: medianRun(run.reads),
        revocations: medianRun(run.revocations),
      });
    }
    await Promise.all(denylists.map((denylist) => denylist.close()));
    if (!options.quick) rebuildMs = await shardedRebuild(client, 1_000_000);
  } finally {
    for (const master of masters) master.disconnect();
    client.disconnect();
    await redis.close();
  }
  const [one, three] = figures as [LayoutFigures, LayoutFigures];
  const spreadText = ({ commands }: Spread) =>
    `${maxOverMean(commands).toFixed(3)} (${commands.join(' / ')})`;
  const busiest = ({ cpu, seconds }: Spread) => `${((Math.max(...cpu) / seconds) * 100).toFixed(0)}%`;
  const rateRows = (what: string, a: LayoutFigures['reads'], b: LayoutFigures['reads']) => [
    [
      `${what}: measured (one client process)`,
      `${formatOps(a.perSecond)}/s`,
      `${formatOps(b.perSecond)}/s`,
      `${(b.perSecond / a.perSecond).toFixed(2)}x`,
      '-',
    ],
    [`${what}: busiest master's CPU (one core = 100%)`, busiest(a.spread), busiest(b.spread), '-', '-'],
    [
      `${what}: the Cluster's capacity (rate / busiest master's CPU share)`,
      `${formatOps(projected(a.perSecond, a.spread))}/s`,
      `${formatOps(projected(b.perSecond, b.spread))}/s`,
      `${(projected(b.perSecond, b.spread) / projected(a.perSecond, a.spread)).toFixed(2)}x`,
      '-',
    ],
  ];
  const sections: Section[] = [
    {
      title: 'Denylist on a three-master Cluster: shards',
      header: ['measure', 'shards: 1 (one master)', 'shards: 48 (three masters)', 'ratio', 'target'],
      rows: [
        [
          'commands per master, max / mean: logins, refreshes, revocations (refresh store included)',
          spreadText(one.mixed.spread),
          spreadText(three.mixed.spread),
          '-',
          '48 shards <= 1.1',
        ],
        [
          'commands per master, max / mean: epoch reads',
          spreadText(one.reads.spread),
          spreadText(three.reads.spread),
          '-',
          '48 shards <= 1.1',
        ],
        [
          'commands per master, max / mean: revocations',
          spreadText(one.revocations.spread),
          spreadText(three.revocations.spread),
          '-',
          '48 shards <= 1.1',
        ],
        ...(rebuildMs === undefined
          ? []
          : [
              [
                'start: rebuild the view from 1M log entries in 48 shards on the 3 masters',
                '-',
                `${rebuildMs.toFixed(0)} ms`,
                '-',
                '<= 3000 ms',
              ],
            ]),
        ...rateRows('logins + refreshes + revocations /s, 64 concurrent', one.mixed, three.mixed),
        ...rateRows('epochs(sub) reads/s, 128 concurrent', one.reads, three.reads),
        ...rateRows(
          'revocations/s (half users, half sessions), 128 concurrent',
          one.revocations,
          three.revocations,
        ),
      ],
      notes: [
        `a Cluster of three redis-server masters on loopback (no replicas, no persistence) started by the bench; one client process; the median of ${rounds} rounds of ${ms} ms per measure, the layouts alternating. Commands include the followers' reads (every process follows every shard).`,
        "this machine has two cores for the three masters and the client: the measured rates are what one client process reaches. The capacity rows divide them by the busiest master's CPU share: what the masters could serve before the busiest saturates its one thread (docs/sizing.md).",
      ],
    },
  ];
  return { sections };
}
