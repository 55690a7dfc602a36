import { TesseraError, UnavailableError } from '@tessera/core';
import { createDeadlines, durableReply, platform, scrubbedCause, sha256Name } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { type FollowedShard, LogFollower } from './lib/follower.js';
import { requireRevocableId } from './lib/ids.js';
import { type DenylistKeys, originCandidate, originTime } from './lib/keys.js';
import { type StreamEntry, toRevocation } from './lib/log-entries.js';
import { resolveRedisOptions } from './lib/options.js';
import { latestOrigin, type OriginScript, readOrigin } from './lib/origins.js';
import { EPOCH, ORIGIN, REVOKE_SESSION, REVOKE_USER } from './lib/scripts.js';
import { confirmServer, moveOrigin } from './lib/server-stamp.js';
import { keySlot, shardLayout } from './lib/shards.js';
import { type Revocation, RevocationView } from './lib/view.js';
import type { Denylist, DenylistOptions, DenylistStatus, RevokeUserOptions, UserEpochs } from './types.js';

/** Script arguments as the headers of the scripts in src/lua/ list them. */
type RevokeUserArgs = [
  origin: string,
  epochKey: string,
  log: string,
  floorKey: string,
  window: string,
  seq: string,
  candidate: string,
  sub: string,
  now: number,
  windowMs: number,
  endSessions: '0' | '1',
  seenEpoch: number,
];
type RevokeSessionArgs = [
  origin: string,
  log: string,
  window: string,
  seq: string,
  candidate: string,
  sid: string,
  now: number,
  windowMs: number,
];

type ScriptClient = OriginScript & {
  tesseraDlEpoch(
    origin: string,
    epochKey: string,
    floorKey: string,
    candidate: string,
  ): Promise<[number, number, string]>;
  tesseraDlRevokeUser(...args: RevokeUserArgs): Promise<[number, string, number]>;
  tesseraDlRevokeSession(...args: RevokeSessionArgs): Promise<string>;
};

/** A pipeline with the denylist's scripts defined on it (ioredis adds defined commands to pipelines). */
type ScriptPipeline = {
  tesseraDlRevokeUser(...args: RevokeUserArgs): ScriptPipeline;
  tesseraDlRevokeSession(...args: RevokeSessionArgs): ScriptPipeline;
  wait(replicas: number, timeoutMs: number): ScriptPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
};

/** Entries per XRANGE page when the view is rebuilt on start. */
const PAGE = 10_000;
/** Ranges of the log read side by side when the view is rebuilt on start. */
const REBUILD_SLICES = 2;

/** Runs `task` for 0 to `count - 1`, at most `width` at a time; resolves the results in order. */
async function inTurn<T>(count: number, width: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      for (let index = next++; index < count; index = next++) results[index] = await task(index);
    }),
  );
  return results;
}

/** The time part of a stream id, or undefined. */
function streamMs(id: string | undefined): number | undefined {
  const ms = Number(id?.slice(0, id.indexOf('-')));
  return id !== undefined && Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * The Redis denylist for a fleet. Epochs live in Redis (never expiring); every revocation is also
 * appended to a stream that each process follows from the last id it has seen, so `check` answers
 * from memory (no Redis round trip per verify) and no revocation is lost across reconnects.
 *
 * Failure semantics: `revokeUser` / `revokeSession` reject with `ERR_UNAVAILABLE` when Redis (and,
 * with `durability`, its replicas) does not confirm them; `check` fails closed with
 * `ERR_UNAVAILABLE` when the view was not confirmed current within `maxStaleness`. Redis data loss
 * is detected (the origin vanished, the revocation count went backwards, the server restarted
 * without durable persistence, an epoch below one already seen) and moves the origin: every token
 * issued before it is rejected. See docs/revocation.md.
 *
 * @example
 * ```ts
 * const denylist = createDenylist({ client: new Redis(url), accessTtl: 900 });
 * await denylist.start();
 * const access = createAccessTokens({ issuer, audience, keys, ttl: 900, revocation: denylist });
 * ```
 */
export function createDenylist(options: DenylistOptions): Denylist {
  const config = resolveRedisOptions<Redis | Cluster>(options);
  const { client, windowMs, clock, maxStalenessMs, timeoutMs, warn, durability } = config;
  // The shards (see lib/shards.ts): the view's sources are the layout's shards, then, while a layout
  // is migrated, the shards of the one it replaces (revocations go to both, checks consult both).
  const layout = shardLayout(config.prefix, config.shards);
  const previous =
    config.reshardFrom === undefined ? undefined : shardLayout(config.prefix, config.reshardFrom);
  const sources: readonly DenylistKeys[] = [...layout.shards, ...(previous?.shards ?? [])];
  /** The sources of a user (or session) id, by its SHA-256 name: one per layout. */
  const sourcesOfName = (name: string): number[] =>
    previous === undefined
      ? [layout.shardOfName(name)]
      : [layout.shardOfName(name), layout.count + previous.shardOfName(name)];
  const sourcesOfId = (id: string): number[] => (sources.length === 1 ? [0] : sourcesOfName(sha256Name(id)));
  client.defineCommand('tesseraDlOrigin', { numberOfKeys: 4, lua: ORIGIN });
  client.defineCommand('tesseraDlEpoch', { numberOfKeys: 3, lua: EPOCH });
  client.defineCommand('tesseraDlRevokeUser', { numberOfKeys: 6, lua: REVOKE_USER });
  client.defineCommand('tesseraDlRevokeSession', { numberOfKeys: 4, lua: REVOKE_SESSION });
  const redis = client as unknown as ScriptClient;
  // Reads block for at most a quarter of the staleness bound, so an idle log still confirms often.
  const blockMs = Math.max(10, Math.min(1000, Math.floor(maxStalenessMs / 4)));
  // A revocation waits for its replicas on top of its own round trip.
  const revokeTimeoutMs = timeoutMs + (durability.replicas > 0 ? durability.timeoutMs : 0);

  let view: RevocationView | undefined;
  let followers: LogFollower[] | undefined;
  /** Per source, when it was last confirmed current (performance.now); and the oldest of them. */
  const confirmedAt = new Float64Array(sources.length);
  let oldestConfirmedAt = 0;
  let starting: Promise<void> | undefined;
  let closed = false;
  let lastError: string | undefined;
  /** When a `check` last started the denylist itself (at most one attempt a second). */
  let autoStartedAt = -Infinity;
  let warnedAutoStart = false;

  function start(): Promise<void> {
    if (closed) return Promise.reject(new UnavailableError('the denylist is closed', { reason: 'closed' }));
    starting ??= doStart().then(
      () => {
        lastError = undefined;
      },
      (error: unknown) => {
        starting = undefined;
        lastError = describeFailure(error);
        throw error;
      },
    );
    return starting;
  }

  /** A `check` before `start()`: start now (once a second at most), say so once, and fail closed meanwhile. */
  function startOnFirstUse(): void {
    if (closed || starting !== undefined || performance.now() - autoStartedAt < 1000) return;
    autoStartedAt = performance.now();
    if (!warnedAutoStart) {
      warnedAutoStart = true;
      warn('tessera denylist: check() before start(): starting now; tokens are refused (503) until it is');
    }
    start().catch(() => {});
  }

  // One shared sweep per bound, not a timer per call (see core's lib/deadline.ts).
  const calls = createDeadlines(timeoutMs);
  const revocations = createDeadlines(revokeTimeoutMs);

  /** Bounds a Redis call in time and maps any failure to ERR_UNAVAILABLE: never a silent loss. */
  async function guarded<T>(operation: () => Promise<T>, deadlines = calls): Promise<T> {
    try {
      return await deadlines.within(operation());
    } catch (error) {
      if (error instanceof TesseraError) throw error;
      throw new UnavailableError('the revocation store is unavailable', {
        reason: 'redis',
        cause: scrubbedCause(error),
      });
    }
  }

  /**
   * Runs one revocation script and, with `durability`, `WAIT` on the same connection (a pipeline: on
   * a Cluster it goes to the master of the denylist's slot). Resolves with the script's reply.
   */
  async function revocation<T>(add: (pipeline: ScriptPipeline) => ScriptPipeline): Promise<T> {
    const pipeline = add(client.pipeline() as unknown as ScriptPipeline);
    if (durability.replicas > 0) pipeline.wait(durability.replicas, durability.timeoutMs);
    if (durability.replicas === 0) {
      const replies = await pipeline.exec();
      const [scriptError, reply] = replies?.[0] ?? [new Error('unexpected pipeline reply'), undefined];
      if (scriptError !== null) throw scriptError;
      return reply as T;
    }
    // Not confirmed: the revocation is on the primary, and a retry is safe (it revokes again).
    const { reply, unconfirmed } = durableReply<T>(await pipeline.exec(), durability.replicas);
    if (unconfirmed !== undefined) throw unconfirmed;
    return reply;
  }

  /**
   * Reads the whole log into `into`, page by page (each page within the call timeout), in
   * REBUILD_SLICES ranges of stream time read side by side: Redis writes one page while this process
   * parses another. Resolves the last id read (the follower goes on from it).
   */
  async function rebuild(into: RevocationView, source: number): Promise<string> {
    const log = sources[source]!.log;
    // One shard: its log in slices side by side. Several: the shards are read side by side instead.
    const slices = sources.length === 1 ? REBUILD_SLICES : 1;
    const ends = await guarded(() =>
      Promise.all([
        client.xrange(log, '-', '+', 'COUNT', 1) as Promise<StreamEntry[]>,
        client.xrevrange(log, '+', '-', 'COUNT', 1) as Promise<StreamEntry[]>,
      ]),
    );
    const first = streamMs(ends[0][0]?.[0]);
    const last = streamMs(ends[1][0]?.[0]);
    if (first === undefined || last === undefined || last - first < slices)
      return readRange(into, source, '-', '+');
    const step = Math.ceil((last - first + 1) / slices);
    const ids = await Promise.all(
      Array.from({ length: slices }, (_, n) =>
        readRange(
          into,
          source,
          n === 0 ? '-' : String(first + n * step),
          // The last range is open: what is appended while we read is read too.
          n === slices - 1 ? '+' : `${first + (n + 1) * step - 1}-18446744073709551615`,
        ),
      ),
    );
    // The ranges are in stream order: the last id read is the last range's, or an earlier one's if it was empty.
    return ids.reduce((latest, id) => (id === '0-0' ? latest : id), '0-0');
  }

  async function readRange(into: RevocationView, source: number, from: string, to: string): Promise<string> {
    const log = sources[source]!.log;
    let lastId = '0-0';
    let start = from;
    for (;;) {
      const page = (await guarded(() => client.xrange(log, start, to, 'COUNT', PAGE))) as StreamEntry[];
      const now = clock();
      for (const entry of page) {
        const revocation = toRevocation(entry);
        if (revocation !== undefined) into.apply(revocation, now, source);
        lastId = entry[0];
      }
      if (page.length < PAGE) return lastId;
      start = `(${lastId}`;
    }
  }

  /** Warns where the server's settings cannot keep the promises (docs/revocation.md, "Durability"). */
  async function checkSettings(): Promise<void> {
    try {
      const setting = async (name: string) => ((await client.config('GET', name)) as string[])[1];
      const appendonly = await setting('appendonly');
      const fsync = await setting('appendfsync');
      const policy = await setting('maxmemory-policy');
      if (appendonly !== 'yes') {
        warn(
          'tessera denylist: Redis persistence (appendonly) is off. A restart loses every revocation; tessera then rejects all earlier access tokens (users must refresh). Set appendonly yes.',
        );
      } else if (fsync !== 'always' && durability.replicas === 0) {
        warn(
          `tessera denylist: Redis appendfsync is "${fsync}" and durability.replicas is 0: a crash can lose the last acknowledged revocations. tessera detects the loss and rejects every access token issued before it (users refresh); for no loss at all, set appendfsync always or durability.replicas.`,
        );
      }
      if (policy !== 'noeviction') {
        warn(
          `tessera denylist: Redis maxmemory-policy is "${policy}". An evicted epoch would revive revoked tokens; set maxmemory-policy noeviction.`,
        );
      }
      if (durability.replicas > 0) {
        const replication = String(await client.info('replication'));
        const connected = Number(/^connected_slaves:(\d+)/m.exec(replication)?.[1] ?? '0');
        if (connected < durability.replicas) {
          warn(
            `tessera denylist: durability.replicas is ${durability.replicas} but the Redis primary has ${connected} connected replicas: every revocation will fail with ERR_UNAVAILABLE (not_durable).`,
          );
        }
      }
    } catch {
      warn(
        'tessera denylist: could not read the Redis configuration (CONFIG GET): make sure appendonly is yes, appendfsync always (or durability.replicas set) and maxmemory-policy noeviction.',
      );
    }
  }

  /**
   * Declares our window and reads the shard's origin (inheriting `inherit` when a migration creates
   * it); then checks the server still holds the shard's data (it may move the origin).
   */
  async function currentOrigin(keys: DenylistKeys, inherit = ''): Promise<string> {
    const { origin, movedUnmigrated } = await readOrigin(redis, keys, windowMs, inherit);
    if (movedUnmigrated) {
      warn(
        `tessera denylist: shard ${keys.tag} was created by a migration (reshardFrom) that never copied its data (migrateDenylist). Its origin moved: access tokens issued before now are rejected and users refresh. See docs/sizing.md, "Migrating".`,
      );
    }
    if ((await confirmServer(client, keys, origin, originCandidate())) !== 'moved') return origin;
    return (await readOrigin(redis, keys, windowMs, inherit)).origin;
  }

  /** The origins of every source: the replaced layout's first, so the new shards can inherit them. */
  async function currentOrigins(): Promise<string[]> {
    const old =
      previous === undefined ? [] : await Promise.all(previous.shards.map((keys) => currentOrigin(keys)));
    // A new shard's history is in the layout it replaces (followed, and written to, while migrating):
    // it begins where that layout's latest shard began.
    const inherit = latestOrigin(old);
    const fresh = await Promise.all(layout.shards.map((keys) => currentOrigin(keys, inherit)));
    return [...fresh, ...old];
  }

  /** Takes note of when each source was last confirmed current. */
  function noteCurrency(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const follower of followers ?? []) {
      for (const shard of follower.shards) {
        confirmedAt[shard.source] = shard.confirmedAt;
        if (shard.confirmedAt < oldest) oldest = shard.confirmedAt;
      }
    }
    oldestConfirmedAt = oldest;
  }

  /** A loss seen from this process (an epoch or a count below what it already saw): move those origins once. */
  function reportLoss(lostSources: readonly number[]): void {
    for (const source of lostSources) for (const follower of followers ?? []) follower.lose(source);
    noteCurrency();
  }

  async function doStart(): Promise<void> {
    const origins = await guarded(currentOrigins);
    const fresh = new RevocationView(
      config,
      origins.map((origin) => originTime(origin, clock())),
      config.maxViewEntries,
      (sub, sid) => (sid === undefined ? sourcesOfId(sub) : [...sourcesOfId(sub), ...sourcesOfId(sid)]),
    );
    // Shards are rebuilt REBUILD_SLICES at a time: every page in flight waits for this process to
    // parse the ones before it, so 48 shards read at once would time out their pages at scale.
    const lastIds = await inTurn(sources.length, REBUILD_SLICES, (source) => rebuild(fresh, source));
    const hooks = {
      apply: (revocation: Revocation, source: number) => fresh.apply(revocation, clock(), source),
      tick: () => {
        fresh.trim(clock());
        noteCurrency();
      },
      reset: async (source: number, seen: string | null) => {
        // No inheritance here: a shard that lost its data starts over from now (fail closed).
        const next = seen ?? (await guarded(() => currentOrigin(sources[source]!)));
        fresh.reset(originTime(next, clock()), source);
        return next;
      },
      connected: async (connection: Redis | Cluster, keys: DenylistKeys, held: string) => {
        await confirmServer(connection, keys, held, originCandidate());
      },
      lost: (connection: Redis | Cluster, keys: DenylistKeys, held: string) =>
        moveOrigin(connection, keys, held, originCandidate()),
    };
    const followed = sources.map((keys, source) => ({
      source,
      keys,
      origin: origins[source]!,
      lastId: lastIds[source]!,
    }));
    // One blocking read for every shard where the server allows it; a Cluster refuses an XREAD over
    // several slots (CROSSSLOT), so there each shard has a follower (and a connection) of its own.
    const groups = isCluster(client) ? followed.map((shard) => [shard]) : [followed];
    view = fresh;
    // One shard of several on a Cluster: a plain connection to its master. One shard alone: a
    // duplicate of the client (a Cluster duplicate follows its slot wherever it moves).
    const connect = (shards: readonly FollowedShard[]) => (reconnect: boolean) =>
      sources.length > 1 && isCluster(client)
        ? nodeConnection(client as Cluster, shards[0]!.keys, reconnect)
        : Promise.resolve<Redis | Cluster>(client.duplicate());
    followers = groups.map(
      (shards) => new LogFollower({ connect: connect(shards), shards, blockMs, timeoutMs, hooks }),
    );
    noteCurrency();
    for (const follower of followers) follower.start();
    await checkSettings();
  }

  /** The epoch script's replies for `name`, one per layout. */
  function readEpochs(name: string, userSources: readonly number[]): Promise<[number, number, string][]> {
    return guarded(() =>
      Promise.all(
        userSources.map((source) => {
          const keys = sources[source]!;
          return redis.tesseraDlEpoch(keys.origin, keys.epoch(name), keys.floor(name), originCandidate());
        }),
      ),
    );
  }

  async function epochs(sub: string): Promise<UserEpochs> {
    requireRevocableId(sub, 'sub');
    const name = sha256Name(sub);
    const userSources = sourcesOfName(name);
    const replies = await readEpochs(name, userSources);
    // While migrating, each layout may hold the higher value (an older release writes one only).
    const epoch = Math.max(...replies.map((reply) => Number(reply[0])));
    const sessionFloor = Math.max(...replies.map((reply) => Number(reply[1])));
    const origin = latestOrigin(replies.map((reply) => reply[2]));
    // Tokens carry whole seconds, and one signed in the second the origin began is refused (it could
    // predate it). Epochs are read to stamp new tokens: right after an origin began (first use, or a
    // loss), wait until this clock's second is past the origin (at most 1 s) so the token is not refused.
    const pastOriginSecond = Math.ceil((originTime(origin, 0) + 1) / 1000) * 1000;
    // A loop, not one timer: timers may fire a millisecond early. Bounded: an injected clock may stand still.
    for (let tries = 0; tries < 3; tries++) {
      const waitMs = pastOriginSecond - clock();
      if (!(waitMs > 0 && waitMs <= 1000)) break;
      await platform.sleep(waitMs + 1);
    }
    // An epoch below one this process has seen means lost data: never hand out the lower one.
    const seen = view?.epochOf(sub) ?? 0;
    if (epoch < seen) reportLoss(userSources);
    return { epoch: Math.max(epoch, seen), sessionFloor };
  }

  return Object.freeze({
    async epoch(sub: string) {
      return (await epochs(sub)).epoch;
    },

    epochs,

    async revokeUser(sub: string, revokeOptions: RevokeUserOptions = {}) {
      requireRevocableId(sub, 'sub');
      const now = clock();
      const name = sha256Name(sub);
      const userSources = sourcesOfName(name);
      const viewed = view?.epochOf(sub) ?? 0;
      let seen = viewed;
      if (userSources.length > 1) {
        // Migrating: the new epoch must pass what either layout holds, since a token may carry either
        // (each layout then revokes on its own, for the verifiers that read only it).
        const stored = (await readEpochs(name, userSources)).map((reply) => Number(reply[0]));
        seen = Math.max(viewed, ...stored);
        if (Math.max(...stored) < viewed) reportLoss(userSources);
      }
      const replies = await Promise.all(
        userSources.map((source) => {
          const keys = sources[source]!;
          return guarded(
            () =>
              revocation<[number, string, number]>((pipeline) =>
                pipeline.tesseraDlRevokeUser(
                  keys.origin,
                  keys.epoch(name),
                  keys.log,
                  keys.floor(name),
                  keys.window,
                  keys.seq,
                  originCandidate(),
                  sub,
                  now,
                  windowMs,
                  revokeOptions.keepSessions === true ? '0' : '1',
                  seen,
                ),
              ),
            revocations,
          );
        }),
      );
      // Below what this process saw: lost data (while migrating, judged above on both layouts).
      if (userSources.length === 1 && Number(replies[0]![2]) === 1) reportLoss(userSources);
      const epoch = Math.max(...replies.map((reply) => Number(reply[0])));
      // This process sees its own revocation at once; the others read it from the log.
      view?.apply({ kind: 'user', sub, epoch, at: now }, clock(), userSources[0]);
      return epoch;
    },

    async revokeSession(sid: string) {
      requireRevocableId(sid, 'sid');
      const now = clock();
      const sessionSources = sourcesOfId(sid);
      await Promise.all(
        sessionSources.map((source) => {
          const keys = sources[source]!;
          return guarded(
            () =>
              revocation<string>((pipeline) =>
                pipeline.tesseraDlRevokeSession(
                  keys.origin,
                  keys.log,
                  keys.window,
                  keys.seq,
                  originCandidate(),
                  sid,
                  now,
                  windowMs,
                ),
              ),
            revocations,
          );
        }),
      );
      view?.apply({ kind: 'session', sid, at: now }, clock(), sessionSources[0]);
    },

    check(claims) {
      if (view === undefined || followers === undefined) {
        startOnFirstUse();
        throw new UnavailableError('the denylist is not started', { reason: 'not_started' });
      }
      // Security: fail closed. A shard not confirmed current within maxStaleness may miss
      // revocations: the view refuses the tokens that depend on it (and routes ids only then).
      const at = performance.now();
      const stale =
        at - oldestConfirmedAt > maxStalenessMs
          ? (source: number) => at - confirmedAt[source]! > maxStalenessMs
          : undefined;
      const now = clock();
      view.trim(now);
      view.check(claims, now, stale);
    },

    horizon: config.horizonSeconds,

    start,

    status(): DenylistStatus {
      if (closed) return { ready: false, state: 'closed' };
      const failure = lastError === undefined ? {} : { lastError };
      if (view === undefined || followers === undefined) {
        return {
          ready: false,
          state: starting !== undefined ? 'starting' : lastError ? 'failed' : 'idle',
          ...failure,
        };
      }
      const at = performance.now();
      if (at - oldestConfirmedAt > maxStalenessMs) {
        const staleShards = confirmedAt.filter((confirmed) => at - confirmed > maxStalenessMs).length;
        return { ready: false, state: 'stale', staleShards, shards: sources.length };
      }
      return { ready: true, state: 'ready' };
    },

    async close() {
      closed = true;
      await starting?.catch(() => {});
      await Promise.all((followers ?? []).map((follower) => follower.close()));
      view = undefined;
    },
  } satisfies Denylist);
}

/**
 * A plain connection to the master that serves a shard's slot: a follower of one shard needs no
 * Cluster client of its own (one connection, where a duplicated Cluster opens one per node it
 * meets and keeps its own slot map). After a failure (the master failed over, the slot moved: its
 * reads answer MOVED or the connection drops), the Cluster's slot map is refreshed first.
 */
async function nodeConnection(cluster: Cluster, keys: DenylistKeys, reconnect: boolean): Promise<Redis> {
  if (reconnect) {
    await new Promise<void>((resolve) => cluster.refreshSlotsCache(() => resolve()));
  }
  const owner = cluster.slots[keySlot(keys.log)]?.[0];
  const node = cluster
    .nodes('master')
    .find((candidate: Redis) => `${candidate.options.host}:${candidate.options.port}` === owner);
  if (node === undefined) throw new Error('no known master serves the shard');
  return node.duplicate({ lazyConnect: false });
}

/** An ioredis Cluster (ioredis marks both kinds of client with `isCluster`). */
function isCluster(client: Redis | Cluster): boolean {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** A start failure as a status line: the code and message of a TesseraError (and of its cause), no stack. */
function describeFailure(error: unknown): string {
  if (!(error instanceof TesseraError)) return error instanceof Error ? error.message : String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.code} (${error.reason ?? 'unknown'}): ${error.message}${cause}`;
}
