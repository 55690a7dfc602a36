import {
  type AccessTokenClaims,
  TokenClaimsError,
  TokenExpiredError,
  TokenRevokedError,
  UnavailableError,
} from '@tessera/core';
import { ArrivalQueue, IdTable } from './id-table.js';
import { isRevocableId } from './ids.js';
import type { RevocationWindow } from './options.js';

/** One revocation as every process learns it (from the Redis stream, or directly in memory). */
export type Revocation =
  | { readonly kind: 'user'; readonly sub: string; readonly epoch: number; readonly at: number }
  | { readonly kind: 'session'; readonly sid: string; readonly at: number }
  /** An entry this version cannot read (newer or damaged): `at` is its stream time (Redis ms). */
  | { readonly kind: 'unknown'; readonly at: number };

/**
 * The sources (denylist shards) a token's revocations can come from: its user's and its session's
 * (one each per layout while a layout is migrated). Called only off the fast path.
 */
export type SourcesOf = (sub: string, sid: string | undefined) => readonly number[];

/** Kinds of ids, hashed into separate spaces of one table. */
const USER = 1;
const SESSION = 2;

/**
 * The in-process view of recent revocations: what `check` consults, with no I/O.
 *
 * Only the last `windowMs` matter (the longest an access token can live, plus the clock tolerance
 * and a margin): a token issued before an older revocation has expired, and `verify` rejects it as
 * expired before it asks us. Entries are kept in arrival order and dropped from the front once
 * older than the window, so memory is bounded by the revocations of one token lifetime; and by
 * `maxEntries` whatever the flood: past it a new revocation is not dropped but counted as an
 * unreadable one (every token issued before it is rejected): fail closed, never forget.
 *
 * Entries live in an {@link IdTable} (hashes and numbers in typed arrays, about 55 bytes an entry
 * with the arrival queue). Times are kept in whole seconds, rounded up: an entry is dropped at most
 * a second late, never early.
 *
 * `originMs` is when the revocation data began (the Redis dataset, or the process for the memory
 * denylist). Tokens issued before it are rejected: the revocations made before it are lost, so
 * none of those tokens can be trusted (a lost epoch must never revive a revoked token).
 *
 * Sources: a sharded denylist feeds the view from several datasets (shards), each with its own
 * origin, its own floor for unreadable entries, and its own currency. Each entry remembers its
 * source, so a shard that lost its data forgets only its own entries. A token depends on the
 * sources of its user and its session only. The fast path asks none of that: while every source is
 * current and the token is newer than every source's floor, no id is routed (routing hashes the id
 * with SHA-256, too slow for every verify).
 */
export class RevocationView {
  readonly #windowMs: number;
  readonly #horizonMs: number;
  readonly #table = new IdTable();
  /** Arrival order, for trimming. */
  readonly #queue = new ArrivalQueue();
  readonly #dropped = { hi: 0, lo: 0, seconds: 0 };
  readonly #maxEntries: number;
  /** Per source: when its data began (ms). */
  readonly #originMs: Float64Array;
  /** Per source: tokens issued before this (seconds) are rejected: an unreadable revocation may name them. */
  readonly #unknownFloorSeconds: Float64Array;
  /** The latest floor of any source (ms): a token at or after it passes every source's floors. */
  #floorMs = 0;
  readonly #marginMs: number;
  readonly #sourcesOf: SourcesOf;

  /**
   * @param origins - when each source's data began (ms); one source unless sharded.
   * @param sourcesOf - the sources a token depends on (needed only with more than one source).
   */
  constructor(
    window: RevocationWindow,
    origins: number | readonly number[],
    maxEntries = 2_000_000,
    sourcesOf?: SourcesOf,
  ) {
    this.#windowMs = window.windowMs;
    this.#horizonMs = window.horizonSeconds * 1000;
    this.#marginMs = window.windowMs - this.#horizonMs;
    const list = typeof origins === 'number' ? [origins] : origins;
    this.#originMs = Float64Array.from(list);
    this.#unknownFloorSeconds = new Float64Array(list.length);
    this.#maxEntries = maxEntries;
    const all = list.map((_, source) => source);
    this.#sourcesOf = list.length === 1 || sourcesOf === undefined ? () => all : sourcesOf;
    this.#updateFloor();
  }

  /** Entries held (users plus sessions). */
  get size(): number {
    return this.#table.size;
  }

  /** Forgets what `source` said and starts it over from a new origin (after Redis data loss). */
  reset(originMs: number, source = 0): void {
    if (this.#originMs.length === 1) {
      this.#table.clear();
      this.#queue.clear();
    } else {
      // The arrival queue keeps the forgotten entries: trimming skips those no longer held.
      this.#table.deleteSource(source);
    }
    this.#originMs[source] = originMs;
    this.#unknownFloorSeconds[source] = 0;
    this.#updateFloor();
  }

  #updateFloor(): void {
    let floor = 0;
    for (let source = 0; source < this.#originMs.length; source++) {
      floor = Math.max(floor, this.#originMs[source]!, this.#unknownFloorSeconds[source]! * 1000);
    }
    this.#floorMs = floor;
  }

  /** The highest epoch of `sub` this view holds (0 when none): what Redis must never go below. */
  epochOf(sub: string): number {
    const table = this.#table;
    table.hash(USER, sub);
    const slot = table.find();
    return slot < 0 ? 0 : table.valueAt(slot);
  }

  /** Records a revocation. Idempotent: replays and out-of-order epochs never lower what is held. */
  apply(revocation: Revocation, now: number, source = 0): void {
    if (now - revocation.at >= this.#windowMs) return;
    if (revocation.kind === 'unknown') {
      this.#failClosedFrom(revocation.at, source);
      return;
    }
    const table = this.#table;
    const seconds = Math.ceil(revocation.at / 1000);
    let value: number;
    if (revocation.kind === 'user') {
      table.hash(USER, revocation.sub);
      value = revocation.epoch;
    } else {
      table.hash(SESSION, revocation.sid);
      value = 1;
    }
    const slot = table.find();
    let stored = seconds;
    if (slot >= 0) {
      const heldValue = table.valueAt(slot);
      const heldSeconds = table.secondsAt(slot);
      // Users: the larger epoch wins; sessions: the later time. Never lowered (a shared entry too).
      if (revocation.kind === 'user' ? heldValue >= value : heldSeconds >= seconds) return;
      stored = Math.max(heldSeconds, seconds);
      table.set(Math.max(heldValue, value), stored, source);
    } else {
      if (table.size >= this.#maxEntries) {
        // Full: this revocation cannot be held, so every token it might name is rejected instead
        // (every token of its source: the id it names lives there).
        this.#failClosedFrom(revocation.at, source);
        return;
      }
      table.set(value, seconds, source);
    }
    // The time the entry now holds: trim removes it only while it still holds that one.
    this.#queue.push(table.hi, table.lo, stored);
  }

  /** Rejects every token of `source` issued before `at` (plus the margin, for clock skew). */
  #failClosedFrom(at: number, source: number): void {
    const floor = Math.ceil((at + this.#marginMs) / 1000);
    if (floor > this.#unknownFloorSeconds[source]!) {
      this.#unknownFloorSeconds[source] = floor;
      this.#updateFloor();
    }
  }

  /** Drops the entries older than the window. Cheap when there is nothing to drop. */
  trim(now: number): void {
    const queue = this.#queue;
    const table = this.#table;
    const dropped = this.#dropped;
    for (let oldest = queue.peekSeconds(); oldest !== undefined && now - oldest * 1000 >= this.#windowMs; ) {
      queue.shift(dropped);
      table.hi = dropped.hi;
      table.lo = dropped.lo;
      const slot = table.find();
      // Remove only if the table still holds this very revocation (not a later one for the same id).
      if (slot >= 0 && table.secondsAt(slot) === dropped.seconds) table.deleteAt(slot);
      oldest = queue.peekSeconds();
    }
  }

  /** The per-source part of `check`: currency, unreadable entries and origins of the token's sources. */
  #checkSources(claims: AccessTokenClaims, stale: ((source: number) => boolean) | undefined): void {
    for (const source of this.#sourcesOf(claims.sub, claims.sid)) {
      // Security: fail closed. A source not confirmed current within maxStaleness may miss revocations.
      if (stale?.(source)) throw new UnavailableError('the denylist view is stale', { reason: 'stale' });
      if (claims.iat < this.#unknownFloorSeconds[source]!) {
        throw new TokenRevokedError('the token predates a revocation this version cannot read', {
          reason: 'unknown_entry',
        });
      }
      // Security: exact, not in whole seconds. A token signed in the second the origin began, before
      // it, has `iat * 1000 < originMs`: it is rejected (one signed just after it, in that second, too).
      if (claims.iat * 1000 < this.#originMs[source]!) {
        throw new TokenRevokedError('the token predates the revocation data (lost or reset)', {
          reason: 'origin',
        });
      }
    }
  }

  /**
   * Throws ERR_TOKEN_REVOKED when the token was issued before the origin, under an older epoch than
   * its user's, or for a revoked session; ERR_TOKEN_CLAIMS for ids that no revocation could name;
   * ERR_TOKEN_EXPIRED past the horizon; ERR_UNAVAILABLE when a source it depends on is `stale`
   * (pass `stale` only while some source is: the fast path routes nothing).
   */
  check(claims: AccessTokenClaims, now: number, stale?: (source: number) => boolean): void {
    // Security: a sub or sid with a lone surrogate could not be revoked (UTF-8 would merge it with
    // others), so a token carrying one is refused rather than left unrevocable.
    if (!isRevocableId(claims.sub) || (claims.sid !== undefined && !isRevocableId(claims.sid))) {
      throw new TokenClaimsError('the token names a user or session that cannot be revoked', {
        reason: 'unrevocable_id',
        claim: 'sub',
      });
    }
    if (stale !== undefined || claims.iat * 1000 < this.#floorMs) this.#checkSources(claims, stale);
    const table = this.#table;
    if (table.size > 0) {
      table.hash(USER, claims.sub);
      const user = table.find();
      if (user >= 0 && (claims.epoch ?? 0) < table.valueAt(user)) {
        throw new TokenRevokedError("the user's tokens were revoked", { reason: 'user' });
      }
      if (claims.sid !== undefined) {
        table.hash(SESSION, claims.sid);
        if (table.find() >= 0) {
          throw new TokenRevokedError('the session was revoked', {
            reason: 'session',
            sessionId: claims.sid,
          });
        }
      }
    }
    // Security: the view keeps a revocation only for the window, so it can vouch for a token only up
    // to `iat + horizon`. A verifier whose ttl or tolerance is larger than the denylist's (or a token
    // from another issuer) would otherwise see its revoked token accepted again once the revocation
    // is dropped. Judged by the token's own `iat`: no combination of options can get past it.
    if (!(now < claims.iat * 1000 + this.#horizonMs)) {
      throw new TokenExpiredError('the token is older than the revocation window can vouch for', {
        reason: 'revocation_horizon',
        claim: 'iat',
      });
    }
  }
}
