import { ConfigError, TesseraError, UnavailableError } from '@tessera/core';
import { scrubbedCause, sha256Name } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { originCandidate } from './lib/keys.js';
import { type StreamEntry, toRevocation } from './lib/log-entries.js';
import { resolveRedisOptions } from './lib/options.js';
import { latestOrigin, type OriginScript, readOrigin } from './lib/origins.js';
import { APPEND_ENTRY, MERGE_EPOCH, ORIGIN } from './lib/scripts.js';
import { type ShardLayout, shardLayout } from './lib/shards.js';
import type { DenylistOptions } from './types.js';

/** What {@link migrateDenylist} copied. */
export interface DenylistMigration {
  /** Epoch and floor keys found in the layout migrated from. */
  readonly counters: number;
  /** Of those, how many raised the new layout's value (the others held as much already). */
  readonly raised: number;
  /** Log entries of the last access-token window copied into the new layout's logs. */
  readonly entries: number;
}

/** Keys fetched and written per round. */
const BATCH = 500;
/** Entries per XRANGE page. */
const PAGE = 10_000;

type MigrationClient = OriginScript & {
  tesseraDlMergeEpoch(key: string, value: string): Promise<number>;
  tesseraDlAppendEntry(
    ...args: [string, string, string, string, string, string, string, number]
  ): Promise<string>;
};

/**
 * Copies a denylist's data from the layout it is migrated from (`reshardFrom` shards) into its new
 * one (`shards`): every user's epoch and session floor (only ever raising what the new layout holds)
 * and the log entries of the last access-token window (so a process that follows only the new
 * layout still refuses the tokens they revoked). Then it clears the shards' migration mark.
 *
 * Run it once every process runs with `reshardFrom` (no older release is left writing only the old
 * layout), with the same options as those processes; then roll out without `reshardFrom`. It is
 * safe to run again (a second run raises nothing, and the copied entries it appends again change
 * nothing). The old layout's keys can be deleted once no process reads them. See docs/sizing.md,
 * "Migrating".
 *
 * @example
 * ```ts
 * const options = { client, shards: 48, reshardFrom: 1 };
 * const { counters, entries } = await migrateDenylist(options);
 * ```
 * @throws `ERR_CONFIG` without `reshardFrom`; `ERR_UNAVAILABLE` when Redis fails (run it again).
 */
export async function migrateDenylist(options: DenylistOptions): Promise<DenylistMigration> {
  const config = resolveRedisOptions<Redis | Cluster>(options);
  if (config.reshardFrom === undefined) {
    throw new ConfigError('migrateDenylist needs reshardFrom: the shard count migrated from', {
      reason: 'invalid_options',
      claim: 'reshardFrom',
    });
  }
  const { client, windowMs, clock } = config;
  const from = shardLayout(config.prefix, config.reshardFrom);
  const to = shardLayout(config.prefix, config.shards);
  client.defineCommand('tesseraDlOrigin', { numberOfKeys: 4, lua: ORIGIN });
  client.defineCommand('tesseraDlMergeEpoch', { numberOfKeys: 1, lua: MERGE_EPOCH });
  client.defineCommand('tesseraDlAppendEntry', { numberOfKeys: 4, lua: APPEND_ENTRY });
  const redis = client as unknown as MigrationClient;
  try {
    // The new shards begin where the old layout began (as the migrating processes made them).
    const old = await Promise.all(
      from.shards.map(async (keys) => (await readOrigin(redis, keys, windowMs, '')).origin),
    );
    const inherit = latestOrigin(old);
    await Promise.all(to.shards.map((keys) => readOrigin(redis, keys, windowMs, inherit)));

    const { counters, raised } = await copyCounters(client, redis, from, to);
    const entries = await copyEntries(client, redis, from, to, clock(), windowMs);
    await Promise.all(to.shards.map((keys) => client.del(keys.migrating)));
    return { counters, raised, entries };
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    throw new UnavailableError('the migration failed (it is safe to run again)', {
      reason: 'redis',
      cause: scrubbedCause(error),
    });
  }
}

/** Every epoch and floor key of the old layout, merged into its shard of the new one. */
async function copyCounters(
  client: Redis | Cluster,
  redis: MigrationClient,
  from: ShardLayout,
  to: ShardLayout,
): Promise<{ counters: number; raised: number }> {
  const nodes =
    (client as { isCluster?: unknown }).isCluster === true
      ? (client as Cluster).nodes('master')
      : [client as Redis];
  let counters = 0;
  let raised = 0;
  for (const node of nodes) {
    for (const keys of from.shards) {
      // On a Cluster, SCAN sees one node's keys: the shard's keys are all on the node of its slot.
      for await (const found of node.scanStream({ match: `${keys.tag}:[ef]:*`, count: 1000 })) {
        const names = found as string[];
        for (let at = 0; at < names.length; at += BATCH) {
          const batch = names.slice(at, at + BATCH);
          const values = await Promise.all(batch.map((key) => client.get(key)));
          const results = await Promise.all(
            batch.map((key, i) => {
              const value = values[i];
              if (value === null || value === undefined) return 0;
              const kind = key.charAt(keys.tag.length + 1);
              const name = key.slice(keys.tag.length + 3);
              const target = to.shards[to.shardOfName(name)]!;
              return redis
                .tesseraDlMergeEpoch(kind === 'e' ? target.epoch(name) : target.floor(name), value)
                .catch((error: unknown) => {
                  // A value that is not an integer, here or in the new shard: say which key, stop.
                  throw new UnavailableError(`the migration found a damaged epoch key: ${key}`, {
                    reason: 'damaged_epoch',
                    cause: scrubbedCause(error),
                  });
                });
            }),
          );
          counters += batch.length;
          raised += results.filter((result) => Number(result) === 1).length;
        }
      }
    }
  }
  return { counters, raised };
}

/** The old logs' entries of the last window, appended (as they are) to the new layout's shards. */
async function copyEntries(
  client: Redis | Cluster,
  redis: MigrationClient,
  from: ShardLayout,
  to: ShardLayout,
  now: number,
  windowMs: number,
): Promise<number> {
  let copied = 0;
  for (const keys of from.shards) {
    let start = '-';
    for (;;) {
      const page = (await client.xrange(keys.log, start, '+', 'COUNT', PAGE)) as StreamEntry[];
      for (let at = 0; at < page.length; at += BATCH) {
        const appends: Promise<string>[] = [];
        for (const entry of page.slice(at, at + BATCH)) {
          const revocation = toRevocation(entry);
          if (revocation === undefined || now - revocation.at >= windowMs) continue;
          const [field = '', value = ''] = entry[1];
          // An entry this version cannot read may name anyone: it goes to every shard (fail closed).
          const targets =
            revocation.kind === 'unknown'
              ? to.shards
              : [
                  to.shards[
                    to.shardOfName(sha256Name(revocation.kind === 'user' ? revocation.sub : revocation.sid))
                  ]!,
                ];
          for (const target of targets) {
            appends.push(
              redis.tesseraDlAppendEntry(
                target.origin,
                target.log,
                target.window,
                target.seq,
                originCandidate(),
                field,
                value,
                windowMs,
              ),
            );
          }
        }
        copied += (await Promise.all(appends)).length;
      }
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1]![0]}`;
    }
  }
  return copied;
}
