import type { AccessTokenClaims, RevocationCheck } from '@tessera/core';
import type { Cluster, Redis } from 'ioredis';

/**
 * Instant revocation of access tokens. Plug it into core as `createAccessTokens({ revocation })`:
 * `verify` then runs `check` on every call, in memory, with no I/O.
 */
export interface Denylist extends RevocationCheck {
  /** The user's current epoch, to stamp into new access tokens (`issue({ epoch })`). */
  epoch(sub: string): Promise<number>;
  /**
   * The user's epoch and session floor, read together (one round trip, one consistent snapshot).
   * `@tessera/sessions` reads both at every refresh.
   */
  epochs(sub: string): Promise<UserEpochs>;
  /**
   * Revokes every access token of `sub` issued so far (increments the epoch) and, unless
   * `keepSessions`, raises the session floor to the new epoch (sessions created before it end at
   * their next refresh). Resolves with the new epoch once stored; rejects with `ERR_UNAVAILABLE`
   * when it could not be.
   */
  revokeUser(sub: string, options?: RevokeUserOptions): Promise<number>;
  /**
   * Revokes every access token carrying `sid` (claim `sid`), for as long as such a token can live.
   * Resolves once stored; rejects with `ERR_UNAVAILABLE` when it could not be.
   */
  revokeSession(sid: string): Promise<void>;
  /**
   * Throws `ERR_TOKEN_REVOKED` for a revoked token, `ERR_UNAVAILABLE` when this process cannot vouch
   * that its view is current (not started, or stale beyond `maxStaleness`). Synchronous, no I/O.
   */
  check(claims: AccessTokenClaims): void;
  /**
   * `accessTtl + clockTolerance`, seconds: `check` vouches for a token only this long after its
   * `iat` (ERR_TOKEN_EXPIRED, reason `revocation_horizon`, after it), and `createAccessTokens`
   * refuses to attach a denylist whose horizon is shorter than its own `ttl + clockTolerance`.
   */
  readonly horizon: number;
  /**
   * Loads the view and starts following revocations. Idempotent. A `check` before it starts the
   * denylist itself (with one warning) and fails closed until the view is loaded: a forgotten
   * `start()` costs a few 503s and a log line, never an outage without a word.
   */
  start(): Promise<void>;
  /** Where the denylist stands, for readiness probes: `ready` is true exactly when `check` can vouch. */
  status(): DenylistStatus;
  /** Stops following (the Redis client you passed stays open). */
  close(): Promise<void>;
}

/** What {@link Denylist.status} reports. */
export interface DenylistStatus {
  /** True when `check` answers from a current view (it fails closed with ERR_UNAVAILABLE otherwise). */
  readonly ready: boolean;
  /**
   * `idle` (not started), `starting`, `ready`, `stale` (the view, or one of its shards, was not confirmed current within
   * `maxStaleness`: Redis unreachable), `failed` (the last start failed; the next `check` or
   * `start` tries again) or `closed`.
   */
  readonly state: 'idle' | 'starting' | 'ready' | 'stale' | 'failed' | 'closed';
  /** Why the last start failed (an error code and message, never key material). */
  readonly lastError?: string;
  /**
   * When `stale`: how many of the view's {@link shards} were not confirmed current. With several,
   * only the tokens whose user or session lives in a stale shard are refused; the others verify.
   */
  readonly staleShards?: number;
  /** When `stale`: the shards the view follows (while migrating, both layouts' shards). */
  readonly shards?: number;
}

/** A user's two counters. */
export interface UserEpochs {
  /** Access tokens stamped with a lower `epoch` claim are revoked. */
  readonly epoch: number;
  /**
   * Sessions created under a lower epoch are over: the epoch of the last `revokeUser` that did not
   * keep sessions ("log out everywhere"). At most `epoch`.
   */
  readonly sessionFloor: number;
}

/** Options of {@link Denylist.revokeUser}. */
export interface RevokeUserOptions {
  /**
   * Revoke the access tokens only, and let sessions go on (their next refresh issues a token under
   * the new epoch): what a privilege change needs. Default false: sessions end too.
   */
  readonly keepSessions?: boolean;
}

/** Options shared by both denylists. Durations in seconds. */
export interface DenylistTimingOptions {
  /** Lifetime of your access tokens (core's `ttl`). Default 900, at most 3600. */
  readonly accessTtl?: number;
  /** Core's `clockTolerance`. Default 5, at most 60. */
  readonly clockTolerance?: number;
  /** Current time in ms. Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Most revocations the in-process view holds: about 55 bytes each (2,000,000, the default, is
   * about 110 MB). Past it a new revocation is not forgotten: every access token issued before it
   * is rejected (`ERR_TOKEN_REVOKED`, reason `unknown_entry`) and users refresh. Size it from
   * docs/sizing.md.
   */
  readonly maxViewEntries?: number;
}

/** Options of {@link createMemoryDenylist}. */
export type MemoryDenylistOptions = DenylistTimingOptions;

/** Options of {@link createDenylist}. */
export interface DenylistOptions extends DenylistTimingOptions {
  /**
   * An ioredis Redis or Cluster. It is used for revocations and lookups; a duplicate of it follows
   * the revocation log (with several {@link DenylistOptions.shards} on a Cluster, a plain connection
   * to each shard's master). Recommended: `enableOfflineQueue: false`, so an outage fails fast.
   */
  readonly client: Redis | Cluster;
  /** Key prefix, also the hash tag of every key (of every shard's tag, with `shards`). Default `tessera:dl`. */
  readonly prefix?: string;
  /**
   * Shards the denylist is split into, 1 to 100 (default 1: every key in one Cluster slot, the layout
   * before shards existed). Each shard is a complete dataset under a hash tag of its own (a user's
   * epoch, floor and log entries in the shard of the user id, a session's revocation in the shard of
   * the session id), and the tags spread over the Cluster's slot ranges, so the shards land evenly on
   * the masters: on a Cluster of M masters, use a multiple of M (48 or 64 for 3 masters; see
   * docs/sizing.md). Each process follows every shard's log: on a Cluster with a connection per
   * shard (an XREAD cannot span slots), on one server with one connection for all. A shard that
   * cannot be reached refuses only the tokens that depend on it. Every process of a prefix must
   * use the same count; change it with {@link DenylistOptions.reshardFrom}.
   */
  readonly shards?: number;
  /**
   * While changing the shard count (from 1 to 64, say): the count every process used before.
   * Processes then write each revocation to both layouts, read epochs from both and follow both;
   * a new layout's shards begin where the old ones did. Roll the fleet out with it, run
   * `migrateDenylist` once (it copies the epochs and the live log entries), then drop it.
   * A process without it that finds a new shard the migration never copied moves that shard's
   * origin: tokens issued before are refused (fail closed). See docs/sizing.md, "Migrating".
   */
  readonly reshardFrom?: number;
  /**
   * Longest time, in seconds, that `check` trusts a view it could not confirm as current; after it,
   * `check` fails closed with `ERR_UNAVAILABLE`. Default 5, between 0.05 and 60.
   */
  readonly maxStaleness?: number;
  /** Longest wait for one Redis call of `epoch` / `revokeUser` / `revokeSession`, in ms. Default 2000. */
  readonly timeoutMs?: number;
  /** Where configuration warnings go (Redis persistence, eviction). Default: the platform's warning (`process.emitWarning` on Node). */
  readonly onWarning?: (message: string) => void;
  /**
   * How many replicas must hold a revocation before `revokeUser` / `revokeSession` resolve (Redis
   * `WAIT replicas timeoutMs` after the write, on the same connection). Fewer within `timeoutMs`
   * (default 500): the call rejects with `ERR_UNAVAILABLE` (reason `not_durable`; the revocation is
   * on the primary, and a retry is safe). Default `{ replicas: 0 }`: resolved once the primary has it.
   * Either way a lost revocation is detected and fails closed (docs/revocation.md, "Durability").
   */
  readonly durability?: {
    /** Replicas that must acknowledge each revocation. */
    readonly replicas: number;
    /** Longest wait for them, ms (default 500). */
    readonly timeoutMs?: number;
  };
}
