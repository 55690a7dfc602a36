import { TesseraError, UnavailableError } from '@tessera/core';
import { createDeadlines, durableReply, platform, scrubbedCause } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { LogFollower } from './lib/follower.js';
import { requireRevocableId } from './lib/ids.js';
import { denylistKeys, originCandidate, originTime } from './lib/keys.js';
import { type StreamEntry, toRevocation } from './lib/log-entries.js';
import { resolveRedisOptions } from './lib/options.js';
import { EPOCH, ORIGIN, REVOKE_SESSION, REVOKE_USER } from './lib/scripts.js';
import { confirmServer, moveOrigin } from './lib/server-stamp.js';
import { RevocationView } from './lib/view.js';
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

type ScriptClient = {
  tesseraDlOrigin(
    origin: string,
    window: string,
    seq: string,
    candidate: string,
    windowMs: number,
  ): Promise<[string, number]>;
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
  const keys = denylistKeys(config.prefix);
  client.defineCommand('tesseraDlOrigin', { numberOfKeys: 3, lua: ORIGIN });
  client.defineCommand('tesseraDlEpoch', { numberOfKeys: 3, lua: EPOCH });
  client.defineCommand('tesseraDlRevokeUser', { numberOfKeys: 6, lua: REVOKE_USER });
  client.defineCommand('tesseraDlRevokeSession', { numberOfKeys: 4, lua: REVOKE_SESSION });
  const redis = client as unknown as ScriptClient;
  // Reads block for at most a quarter of the staleness bound, so an idle log still confirms often.
  const blockMs = Math.max(10, Math.min(1000, Math.floor(maxStalenessMs / 4)));
  // A revocation waits for its replicas on top of its own round trip.
  const revokeTimeoutMs = timeoutMs + (durability.replicas > 0 ? durability.timeoutMs : 0);

  let view: RevocationView | undefined;
  let follower: LogFollower | undefined;
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
  async function rebuild(into: RevocationView): Promise<string> {
    const ends = await guarded(() =>
      Promise.all([
        client.xrange(keys.log, '-', '+', 'COUNT', 1) as Promise<StreamEntry[]>,
        client.xrevrange(keys.log, '+', '-', 'COUNT', 1) as Promise<StreamEntry[]>,
      ]),
    );
    const first = streamMs(ends[0][0]?.[0]);
    const last = streamMs(ends[1][0]?.[0]);
    if (first === undefined || last === undefined || last - first < REBUILD_SLICES)
      return readRange(into, '-', '+');
    const step = Math.ceil((last - first + 1) / REBUILD_SLICES);
    const ids = await Promise.all(
      Array.from({ length: REBUILD_SLICES }, (_, n) =>
        readRange(
          into,
          n === 0 ? '-' : String(first + n * step),
          // The last range is open: what is appended while we read is read too.
          n === REBUILD_SLICES - 1 ? '+' : `${first + (n + 1) * step - 1}-18446744073709551615`,
        ),
      ),
    );
    // The ranges are in stream order: the last id read is the last range's, or an earlier one's if it was empty.
    return ids.reduce((latest, id) => (id === '0-0' ? latest : id), '0-0');
  }

  async function readRange(into: RevocationView, from: string, to: string): Promise<string> {
    let lastId = '0-0';
    let start = from;
    for (;;) {
      const page = (await guarded(() => client.xrange(keys.log, start, to, 'COUNT', PAGE))) as StreamEntry[];
      const now = clock();
      for (const entry of page) {
        const revocation = toRevocation(entry);
        if (revocation !== undefined) into.apply(revocation, now);
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

  /** Declares our window and reads the origin; then checks the server still holds our data (it may move the origin). */
  async function currentOrigin(): Promise<string> {
    const [origin] = await redis.tesseraDlOrigin(
      keys.origin,
      keys.window,
      keys.seq,
      originCandidate(),
      windowMs,
    );
    if ((await confirmServer(client, keys, origin, originCandidate())) !== 'moved') return origin;
    const [moved] = await redis.tesseraDlOrigin(
      keys.origin,
      keys.window,
      keys.seq,
      originCandidate(),
      windowMs,
    );
    return moved;
  }

  /** A loss seen from this process (an epoch or a count below what it already saw): move the origin once. */
  function reportLoss(): void {
    follower?.lose();
  }

  async function doStart(): Promise<void> {
    const origin = await guarded(currentOrigin);
    const fresh = new RevocationView(config, originTime(origin, clock()), config.maxViewEntries);
    const lastId = await rebuild(fresh);
    view = fresh;
    follower = new LogFollower({
      connect: () => client.duplicate(),
      keys,
      origin,
      lastId,
      blockMs,
      timeoutMs,
      hooks: {
        apply: (revocation) => fresh.apply(revocation, clock()),
        tick: () => fresh.trim(clock()),
        reset: async (seen) => {
          const next = seen ?? (await guarded(currentOrigin));
          fresh.reset(originTime(next, clock()));
          return next;
        },
        connected: async (connection, held) => {
          await confirmServer(connection, keys, held, originCandidate());
        },
        lost: (connection, held) => moveOrigin(connection, keys, held, originCandidate()),
      },
    });
    follower.start();
    await checkSettings();
  }

  async function epochs(sub: string): Promise<UserEpochs> {
    requireRevocableId(sub, 'sub');
    const [epoch, sessionFloor, origin] = await guarded(() =>
      redis.tesseraDlEpoch(keys.origin, keys.epoch(sub), keys.floor(sub), originCandidate()),
    );
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
    if (Number(epoch) < seen) reportLoss();
    return { epoch: Math.max(Number(epoch), seen), sessionFloor: Number(sessionFloor) };
  }

  return Object.freeze({
    async epoch(sub: string) {
      return (await epochs(sub)).epoch;
    },

    epochs,

    async revokeUser(sub: string, revokeOptions: RevokeUserOptions = {}) {
      requireRevocableId(sub, 'sub');
      const now = clock();
      const seen = view?.epochOf(sub) ?? 0;
      const [epoch, , behind] = await guarded(
        () =>
          revocation<[number, string, number]>((pipeline) =>
            pipeline.tesseraDlRevokeUser(
              keys.origin,
              keys.epoch(sub),
              keys.log,
              keys.floor(sub),
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
      if (Number(behind) === 1) reportLoss();
      // This process sees its own revocation at once; the others read it from the log.
      view?.apply({ kind: 'user', sub, epoch: Number(epoch), at: now }, clock());
      return Number(epoch);
    },

    async revokeSession(sid: string) {
      requireRevocableId(sid, 'sid');
      const now = clock();
      await guarded(
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
      view?.apply({ kind: 'session', sid, at: now }, clock());
    },

    check(claims) {
      if (view === undefined || follower === undefined) {
        startOnFirstUse();
        throw new UnavailableError('the denylist is not started', { reason: 'not_started' });
      }
      // Security: fail closed. A view not confirmed current within maxStaleness may miss revocations.
      if (performance.now() - follower.confirmedAt > maxStalenessMs) {
        throw new UnavailableError('the denylist view is stale', { reason: 'stale' });
      }
      const now = clock();
      view.trim(now);
      view.check(claims, now);
    },

    horizon: config.horizonSeconds,

    start,

    status(): DenylistStatus {
      if (closed) return { ready: false, state: 'closed' };
      const failure = lastError === undefined ? {} : { lastError };
      if (view === undefined || follower === undefined) {
        return {
          ready: false,
          state: starting !== undefined ? 'starting' : lastError ? 'failed' : 'idle',
          ...failure,
        };
      }
      if (performance.now() - follower.confirmedAt > maxStalenessMs) return { ready: false, state: 'stale' };
      return { ready: true, state: 'ready' };
    },

    async close() {
      closed = true;
      await starting?.catch(() => {});
      await follower?.close();
      view = undefined;
    },
  } satisfies Denylist);
}

/** A start failure as a status line: the code and message of a TesseraError (and of its cause), no stack. */
function describeFailure(error: unknown): string {
  if (!(error instanceof TesseraError)) return error instanceof Error ? error.message : String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.code} (${error.reason ?? 'unknown'}): ${error.message}${cause}`;
}
