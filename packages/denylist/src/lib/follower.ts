import { createDeadlines, type Deadlines, platform } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { waitForRedis } from '../wait-for-redis.js';
import type { DenylistKeys } from './keys.js';
import { type StreamEntry, toRevocation } from './log-entries.js';
import type { Revocation } from './view.js';

/** Entries per read; a full batch means there may be more, so it does not confirm currency. */
const BATCH = 1000;

export interface FollowerHooks {
  /** Applies one revocation read from the log. */
  apply(revocation: Revocation): void;
  /** Called after each read with the log's time, to trim the view. */
  tick(): void;
  /**
   * The origin changed (or vanished): Redis lost its data. The follower re-reads the log from the
   * start; `reset` must forget the view and return the origin to hold from now on.
   */
  reset(origin: string | null): Promise<string>;
  /** A (re)connection is ready: check that the server is the one that holds our data (server-stamp.ts). */
  connected(connection: Redis | Cluster, origin: string): Promise<void>;
  /** The revocation counter went backwards: data was lost. Move the origin (the next read resets). */
  lost(connection: Redis | Cluster, origin: string): Promise<void>;
}

type StreamReply = [key: string, entries: StreamEntry[]][] | null;

/**
 * Follows the revocation log (a Redis stream) on a connection of its own, from the last id it has
 * seen: no entry is lost across reconnects, unlike pub/sub. Each read is a pipeline of a blocking
 * XREAD and a GET of the origin, which runs when the XREAD returns: so every reply also tells
 * whether the dataset is still the one the view was built from. `confirmedAt` is the last time
 * (performance.now) a reply proved the view current.
 */
export class LogFollower {
  readonly #connect: () => Redis | Cluster;
  readonly #keys: DenylistKeys;
  readonly #hooks: FollowerHooks;
  readonly #blockMs: number;
  readonly #timeoutMs: number;
  /** Bounds on a log read (its block plus a call's time) and on the other calls of the follower. */
  readonly #reads: Deadlines;
  readonly #calls: Deadlines;
  #connection: Redis | Cluster | undefined;
  #origin: string;
  #lastId: string;
  /** The highest revocation count read since the last reset: it only grows unless data was lost. */
  #seq = 0;
  /** Set by {@link lose}: a loss seen outside the log (an epoch below one already seen). */
  #lossReported = false;
  #closed = false;
  #loop: Promise<void> | undefined;
  confirmedAt: number;

  constructor(options: {
    connect: () => Redis | Cluster;
    keys: DenylistKeys;
    hooks: FollowerHooks;
    origin: string;
    lastId: string;
    blockMs: number;
    timeoutMs: number;
  }) {
    this.#connect = options.connect;
    this.#keys = options.keys;
    this.#hooks = options.hooks;
    this.#origin = options.origin;
    this.#lastId = options.lastId;
    this.#blockMs = options.blockMs;
    this.#timeoutMs = options.timeoutMs;
    this.#reads = createDeadlines(options.blockMs + options.timeoutMs);
    this.#calls = createDeadlines(options.timeoutMs);
    this.confirmedAt = performance.now();
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Reports a loss seen elsewhere (an epoch below one this process saw). The view stops vouching at
   * once (checks fail closed until the next read), and the next read moves the origin.
   */
  lose(): void {
    this.#lossReported = true;
    this.confirmedAt = Number.NEGATIVE_INFINITY;
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
        // A hung or broken connection: drop it and start a fresh one (the log id is kept).
        this.#connection?.disconnect();
        this.#connection = undefined;
        await platform.sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 500);
      }
    }
  }

  async #readOnce(): Promise<void> {
    if (this.#connection === undefined) {
      this.#connection = this.#connect();
      // Connection errors surface as failed reads (and so as staleness); no unhandled 'error' events.
      this.#connection.on('error', () => {});
      await waitForRedis(this.#connection, { timeoutMs: this.#timeoutMs });
      // A new connection may reach a restarted or promoted server: make sure it holds our data.
      await this.#calls.within(this.#hooks.connected(this.#connection, this.#origin));
    }
    const connection = this.#connection;
    const pipeline = connection
      .pipeline()
      .xread('COUNT', BATCH, 'BLOCK', this.#blockMs, 'STREAMS', this.#keys.log, this.#lastId)
      .mget(this.#keys.origin, this.#keys.seq);
    const replies = await this.#reads.within<[Error | null, unknown][] | null>(pipeline.exec());
    const repliedAt = performance.now();
    if (this.#closed) return;
    if (replies === null || replies.length !== 2) throw new Error('unexpected pipeline reply');
    const [[readError, streams], [stateError, state]] = replies as [
      [Error | null, StreamReply],
      [Error | null, [string | null, string | null]],
    ];
    if (readError !== null) throw readError;
    if (stateError !== null) throw stateError;
    const [origin, seqText] = state;
    if (origin !== this.#origin) {
      // Data loss (flush, restart without persistence): what the view holds may be gone from Redis.
      this.#origin = await this.#hooks.reset(origin);
      this.#lastId = '0-0';
      this.#seq = 0;
      return; // not confirmed: the next read starts over from the beginning of the new log
    }
    const seq = Number(seqText ?? '0');
    if (!(Number.isSafeInteger(seq) && seq >= this.#seq) || this.#lossReported) {
      this.#lossReported = false;
      // Fewer revocations than already seen, same origin: an older snapshot, or a replica that
      // lagged, took over. Some acknowledged revocations are gone.
      await this.#calls.within(this.#hooks.lost(connection, this.#origin));
      return; // not confirmed: the next read sees the moved origin and starts over
    }
    this.#seq = seq;
    const entries = streams?.[0]?.[1] ?? [];
    for (const entry of entries) {
      const revocation = toRevocation(entry);
      if (revocation !== undefined) this.#hooks.apply(revocation);
      this.#lastId = entry[0];
    }
    this.#hooks.tick();
    if (entries.length < BATCH) this.confirmedAt = repliedAt;
  }
}
