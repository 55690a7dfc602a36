import { createDeadlines, type Deadlines, platform } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { waitForRedis } from '../wait-for-redis.js';
import type { DenylistKeys } from './keys.js';
import { type StreamEntry, toRevocation } from './log-entries.js';
import type { Revocation } from './view.js';

/** Entries per read and log; a full batch means there may be more, so it does not confirm currency. */
const BATCH = 1000;

export interface FollowerHooks {
  /** Applies one revocation read from the log of `source`. */
  apply(revocation: Revocation, source: number): void;
  /** Called after each read, to trim the view and take note of the shards' currency. */
  tick(): void;
  /**
   * The origin of `source` changed (or vanished): Redis lost that shard's data. The follower re-reads
   * its log from the start; `reset` must forget what the shard said and return the origin to hold.
   */
  reset(source: number, origin: string | null): Promise<string>;
  /** A (re)connection is ready: check that the server is the one that holds the shard's data (server-stamp.ts). */
  connected(connection: Redis | Cluster, keys: DenylistKeys, origin: string): Promise<void>;
  /** The shard's revocation counter went backwards: data was lost. Move its origin (the next read resets). */
  lost(connection: Redis | Cluster, keys: DenylistKeys, origin: string): Promise<void>;
}

/** One shard as a follower follows it. */
export interface FollowedShard {
  /** The shard's index among the view's sources. */
  readonly source: number;
  readonly keys: DenylistKeys;
  /** The origin the view was built from. */
  origin: string;
  /** The last log id read. */
  lastId: string;
}

interface ShardState extends FollowedShard {
  /** The highest revocation count read since the last reset: it only grows unless data was lost. */
  seq: number;
  /** Set by {@link LogFollower.lose}: a loss seen outside the log (an epoch below one already seen). */
  lossReported: boolean;
  /** The last time (performance.now) a reply proved this shard's view current. */
  confirmedAt: number;
}

type StreamReply = [key: string, entries: StreamEntry[]][] | null;

/**
 * Follows the revocation logs (Redis streams) of one or more shards on a connection of its own, from
 * the last id it has seen of each: no entry is lost across reconnects, unlike pub/sub. Each read is a
 * pipeline of one blocking XREAD over every followed log and an MGET of each shard's origin and
 * counter, which run when the XREAD returns: so every reply also tells whether each dataset is still
 * the one the view was built from. A Cluster refuses an XREAD over keys of several slots
 * (CROSSSLOT), so there a follower follows one shard; on one server, one follower reads every shard.
 */
export class LogFollower {
  readonly #connect: (reconnect: boolean) => Promise<Redis | Cluster>;
  #connectedBefore = false;
  readonly #hooks: FollowerHooks;
  readonly #blockMs: number;
  readonly #timeoutMs: number;
  /** Bounds on a log read (its block plus a call's time) and on the other calls of the follower. */
  readonly #reads: Deadlines;
  readonly #calls: Deadlines;
  readonly #shards: ShardState[];
  /** Where each source is in #shards. */
  readonly #bySource = new Map<number, ShardState>();
  #connection: Redis | Cluster | undefined;
  #closed = false;
  #loop: Promise<void> | undefined;

  constructor(options: {
    /** A connection of the follower's own (`reconnect`: an earlier one failed). */
    connect: (reconnect: boolean) => Promise<Redis | Cluster>;
    shards: readonly FollowedShard[];
    hooks: FollowerHooks;
    blockMs: number;
    timeoutMs: number;
  }) {
    this.#connect = options.connect;
    this.#hooks = options.hooks;
    this.#blockMs = options.blockMs;
    this.#timeoutMs = options.timeoutMs;
    this.#reads = createDeadlines(options.blockMs + options.timeoutMs);
    this.#calls = createDeadlines(options.timeoutMs);
    const now = performance.now();
    this.#shards = options.shards.map((shard) => ({
      ...shard,
      seq: 0,
      lossReported: false,
      confirmedAt: now,
    }));
    for (const shard of this.#shards) this.#bySource.set(shard.source, shard);
  }

  /** The shards followed, with the time each was last confirmed current. */
  get shards(): readonly { readonly source: number; readonly confirmedAt: number }[] {
    return this.#shards;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Reports a loss of `source` seen elsewhere (an epoch below one this process saw). The shard stops
   * vouching at once (its checks fail closed until the next read), and the next read moves its origin.
   */
  lose(source: number): void {
    const shard = this.#bySource.get(source);
    if (shard === undefined) return;
    shard.lossReported = true;
    shard.confirmedAt = Number.NEGATIVE_INFINITY;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#connection?.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let backoffMs = 25;
    while (!this.#closed) {
      try {
        await this.#readOnce();
        backoffMs = 25;
      } catch {
        if (this.#closed) break;
        // A hung or broken connection: drop it and start a fresh one (the log ids are kept).
        this.#connection?.disconnect();
        this.#connection = undefined;
        await platform.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 500);
      }
    }
  }

  async #readOnce(): Promise<void> {
    const shards = this.#shards;
    if (this.#connection === undefined) {
      const connection = await this.#connect(this.#connectedBefore);
      this.#connectedBefore = true;
      if (this.#closed) {
        connection.disconnect();
        return;
      }
      this.#connection = connection;
      // Connection errors surface as failed reads (and so as staleness); no unhandled 'error' events.
      this.#connection.on('error', () => {});
      await waitForRedis(this.#connection, { timeoutMs: this.#timeoutMs });
      // A new connection may reach a restarted or promoted server: make sure it holds our data.
      await this.#calls.within(
        Promise.all(shards.map((shard) => this.#hooks.connected(connection, shard.keys, shard.origin))),
      );
    }
    const connection = this.#connection;
    const pipeline = connection
      .pipeline()
      .xread(
        'COUNT',
        BATCH,
        'BLOCK',
        this.#blockMs,
        'STREAMS',
        ...shards.map((shard) => shard.keys.log),
        ...shards.map((shard) => shard.lastId),
      );
    for (const shard of shards) pipeline.mget(shard.keys.origin, shard.keys.seq);
    const replies = await this.#reads.within<[Error | null, unknown][] | null>(pipeline.exec());
    const repliedAt = performance.now();
    if (this.#closed) return;
    if (replies === null || replies.length !== 1 + shards.length)
      throw new Error('unexpected pipeline reply');
    const [readError, streams] = replies[0] as [Error | null, StreamReply];
    if (readError !== null) throw readError;
    const read = new Map<string, StreamEntry[]>();
    for (const [key, entries] of streams ?? []) read.set(key, entries);
    for (const [index, shard] of shards.entries()) {
      const [stateError, state] = replies[1 + index] as [Error | null, [string | null, string | null]];
      if (stateError !== null) throw stateError;
      await this.#take(connection, shard, state, read.get(shard.keys.log) ?? [], repliedAt);
    }
    this.#hooks.tick();
  }

  /** One shard's part of a reply: its state, then its entries. */
  async #take(
    connection: Redis | Cluster,
    shard: ShardState,
    [origin, seqText]: [string | null, string | null],
    entries: StreamEntry[],
    repliedAt: number,
  ): Promise<void> {
    if (origin !== shard.origin) {
      // Data loss (flush, restart without persistence): what the view holds may be gone from Redis.
      shard.origin = await this.#hooks.reset(shard.source, origin);
      shard.lastId = '0-0';
      shard.seq = 0;
      return; // not confirmed: the next read starts over from the beginning of the new log
    }
    const seq = Number(seqText ?? '0');
    if (!(Number.isSafeInteger(seq) && seq >= shard.seq) || shard.lossReported) {
      shard.lossReported = false;
      // Fewer revocations than already seen, same origin: an older snapshot, or a replica that
      // lagged, took over. Some acknowledged revocations are gone.
      await this.#calls.within(this.#hooks.lost(connection, shard.keys, shard.origin));
      return; // not confirmed: the next read sees the moved origin and starts over
    }
    shard.seq = seq;
    for (const entry of entries) {
      const revocation = toRevocation(entry);
      if (revocation !== undefined) this.#hooks.apply(revocation, shard.source);
      shard.lastId = entry[0];
    }
    if (entries.length < BATCH) shard.confirmedAt = repliedAt;
  }
}
