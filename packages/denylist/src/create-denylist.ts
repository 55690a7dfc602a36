import { TesseraError, UnavailableError } from '@tessera/core';
import { scrubbedCause } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { LogFollower } from './lib/follower.js';
import { requireRevocableId } from './lib/ids.js';
import { denylistKeys, originCandidate, originTime } from './lib/keys.js';
import { type StreamEntry, toRevocation } from './lib/log-entries.js';
import { resolveRedisOptions } from './lib/options.js';
import { EPOCH, ORIGIN, REVOKE_SESSION, REVOKE_USER } from './lib/scripts.js';
import { RevocationView } from './lib/view.js';
import { withTimeout } from './lib/with-timeout.js';
import type { Denylist, DenylistOptions, RevokeUserOptions, UserEpochs } from './types.js';

type ScriptClient = {
  tesseraDlOrigin(origin: string, candidate: string): Promise<string>;
  tesseraDlEpoch(
    origin: string,
    epochKey: string,
    floorKey: string,
    candidate: string,
  ): Promise<[number, number, string]>;
  tesseraDlRevokeUser(
    origin: string,
    epochKey: string,
    log: string,
    floorKey: string,
    candidate: string,
    sub: string,
    now: number,
    windowMs: number,
    endSessions: '0' | '1',
  ): Promise<[number, string]>;
  tesseraDlRevokeSession(
    origin: string,
    log: string,
    candidate: string,
    sid: string,
    now: number,
    windowMs: number,
  ): Promise<string>;
};

/** Entries per XRANGE page when the view is rebuilt on start. */
const PAGE = 10_000;

/**
 * The Redis denylist for a fleet. Epochs live in Redis (never expiring); every revocation is also
 * appended to a stream that each process follows from the last id it has seen, so `check` answers
 * from memory (no Redis round trip per verify) and no revocation is lost across reconnects.
 *
 * Failure semantics: `revokeUser` / `revokeSession` reject with `ERR_UNAVAILABLE` when Redis does not
 * confirm them; `check` fails closed with `ERR_UNAVAILABLE` when the view was not confirmed current
 * within `maxStaleness`; Redis data loss is detected (the dataset's origin changes) and every token
 * issued before the new origin is rejected. See docs/revocation.md.
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
  const { client, windowMs, clock, maxStalenessMs, timeoutMs, warn } = config;
  const keys = denylistKeys(config.prefix);
  client.defineCommand('tesseraDlOrigin', { numberOfKeys: 1, lua: ORIGIN });
  client.defineCommand('tesseraDlEpoch', { numberOfKeys: 3, lua: EPOCH });
  client.defineCommand('tesseraDlRevokeUser', { numberOfKeys: 4, lua: REVOKE_USER });
  client.defineCommand('tesseraDlRevokeSession', { numberOfKeys: 2, lua: REVOKE_SESSION });
  const redis = client as unknown as ScriptClient;
  // Reads block for at most a quarter of the staleness bound, so an idle log still confirms often.
  const blockMs = Math.max(10, Math.min(1000, Math.floor(maxStalenessMs / 4)));

  let view: RevocationView | undefined;
  let follower: LogFollower | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;

  /** Bounds a Redis call in time and maps any failure to ERR_UNAVAILABLE: never a silent loss. */
  async function guarded<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await withTimeout(operation(), timeoutMs, 'redis call');
    } catch (error) {
      if (error instanceof TesseraError) throw error;
      throw new UnavailableError('the revocation store is unavailable', {
        reason: 'redis',
        cause: scrubbedCause(error),
      });
    }
  }

  async function rebuild(into: RevocationView): Promise<string> {
    let lastId = '0-0';
    let start = '-';
    for (;;) {
      const page = (await client.xrange(keys.log, start, '+', 'COUNT', PAGE)) as StreamEntry[];
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

  async function checkSettings(): Promise<void> {
    try {
      const [, appendonly] = (await client.config('GET', 'appendonly')) as string[];
      const [, policy] = (await client.config('GET', 'maxmemory-policy')) as string[];
      if (appendonly !== 'yes') {
        warn(
          'tessera denylist: Redis persistence (appendonly) is off. A restart loses every revocation; tessera then rejects all earlier access tokens (users must refresh). Set appendonly yes.',
        );
      }
      if (policy !== 'noeviction') {
        warn(
          `tessera denylist: Redis maxmemory-policy is "${policy}". An evicted epoch would revive revoked tokens; set maxmemory-policy noeviction.`,
        );
      }
    } catch {
      warn(
        'tessera denylist: could not read the Redis configuration (CONFIG GET): make sure appendonly is yes and maxmemory-policy is noeviction.',
      );
    }
  }

  async function doStart(): Promise<void> {
    const origin = await guarded(() => redis.tesseraDlOrigin(keys.origin, originCandidate(clock())));
    const fresh = new RevocationView(windowMs, originTime(origin, clock()));
    const lastId = await guarded(() => rebuild(fresh));
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
          const next =
            seen ?? (await guarded(() => redis.tesseraDlOrigin(keys.origin, originCandidate(clock()))));
          fresh.reset(originTime(next, clock()));
          return next;
        },
      },
    });
    follower.start();
    await checkSettings();
  }

  async function epochs(sub: string): Promise<UserEpochs> {
    requireRevocableId(sub, 'sub');
    const [epoch, sessionFloor] = await guarded(() =>
      redis.tesseraDlEpoch(keys.origin, keys.epoch(sub), keys.floor(sub), originCandidate(clock())),
    );
    return { epoch: Number(epoch), sessionFloor: Number(sessionFloor) };
  }

  return Object.freeze({
    async epoch(sub: string) {
      return (await epochs(sub)).epoch;
    },

    epochs,

    async revokeUser(sub: string, revokeOptions: RevokeUserOptions = {}) {
      requireRevocableId(sub, 'sub');
      const now = clock();
      const [epoch] = await guarded(() =>
        redis.tesseraDlRevokeUser(
          keys.origin,
          keys.epoch(sub),
          keys.log,
          keys.floor(sub),
          originCandidate(now),
          sub,
          now,
          windowMs,
          revokeOptions.keepSessions === true ? '0' : '1',
        ),
      );
      // This process sees its own revocation at once; the others read it from the log.
      view?.apply({ kind: 'user', sub, epoch: Number(epoch), at: now }, clock());
      return Number(epoch);
    },

    async revokeSession(sid: string) {
      requireRevocableId(sid, 'sid');
      const now = clock();
      await guarded(() =>
        redis.tesseraDlRevokeSession(keys.origin, keys.log, originCandidate(now), sid, now, windowMs),
      );
      view?.apply({ kind: 'session', sid, at: now }, clock());
    },

    check(claims) {
      if (view === undefined || follower === undefined) {
        throw new UnavailableError('the denylist is not started', { reason: 'not_started' });
      }
      // Security: fail closed. A view not confirmed current within maxStaleness may miss revocations.
      if (performance.now() - follower.confirmedAt > maxStalenessMs) {
        throw new UnavailableError('the denylist view is stale', { reason: 'stale' });
      }
      view.trim(clock());
      view.check(claims);
    },

    start() {
      if (closed) return Promise.reject(new UnavailableError('the denylist is closed', { reason: 'closed' }));
      starting ??= doStart().catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
      return starting;
    },

    async close() {
      closed = true;
      await starting?.catch(() => {});
      await follower?.close();
      view = undefined;
    },
  } satisfies Denylist);
}
