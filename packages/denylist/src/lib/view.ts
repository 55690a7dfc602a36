import {
  type AccessTokenClaims,
  TokenClaimsError,
  TokenExpiredError,
  TokenRevokedError,
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
 */
export class RevocationView {
  readonly #windowMs: number;
  readonly #horizonMs: number;
  readonly #table = new IdTable();
  /** Arrival order, for trimming. */
  readonly #queue = new ArrivalQueue();
  readonly #dropped = { hi: 0, lo: 0, seconds: 0 };
  readonly #maxEntries: number;
  #originMs: number;
  /** Tokens issued before this (seconds) are rejected: an unreadable revocation may name them. */
  #unknownFloorSeconds = 0;
  readonly #marginMs: number;

  constructor(window: RevocationWindow, originMs: number, maxEntries = 2_000_000) {
    this.#windowMs = window.windowMs;
    this.#horizonMs = window.horizonSeconds * 1000;
    this.#marginMs = window.windowMs - this.#horizonMs;
    this.#originMs = originMs;
    this.#maxEntries = maxEntries;
  }

  /** Entries held (users plus sessions). */
  get size(): number {
    return this.#table.size;
  }

  /** Forgets everything and starts over from a new origin (after Redis data loss). */
  reset(originMs: number): void {
    this.#table.clear();
    this.#queue.clear();
    this.#originMs = originMs;
    this.#unknownFloorSeconds = 0;
  }

  /** The highest epoch of `sub` this view holds (0 when none): what Redis must never go below. */
  epochOf(sub: string): number {
    const table = this.#table;
    table.hash(USER, sub);
    const slot = table.find();
    return slot < 0 ? 0 : table.valueAt(slot);
  }

  /** Records a revocation. Idempotent: replays and out-of-order epochs never lower what is held. */
  apply(revocation: Revocation, now: number): void {
    if (now - revocation.at >= this.#windowMs) return;
    if (revocation.kind === 'unknown') {
      this.#failClosedFrom(revocation.at);
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
      table.set(Math.max(heldValue, value), stored);
    } else {
      if (table.size >= this.#maxEntries) {
        // Full: this revocation cannot be held, so every token it might name is rejected instead.
        this.#failClosedFrom(revocation.at);
        return;
      }
      table.set(value, seconds);
    }
    // The time the entry now holds: trim removes it only while it still holds that one.
    this.#queue.push(table.hi, table.lo, stored);
  }

  /** Rejects every token issued before `at` (plus the margin, for clock skew). */
  #failClosedFrom(at: number): void {
    const floor = Math.ceil((at + this.#marginMs) / 1000);
    if (floor > this.#unknownFloorSeconds) this.#unknownFloorSeconds = floor;
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

  /**
   * Throws ERR_TOKEN_REVOKED when the token was issued before the origin, under an older epoch than
   * its user's, or for a revoked session; ERR_TOKEN_CLAIMS for ids that no revocation could name;
   * ERR_TOKEN_EXPIRED past the horizon.
   */
  check(claims: AccessTokenClaims, now: number): void {
    // Security: a sub or sid with a lone surrogate could not be revoked (UTF-8 would merge it with
    // others), so a token carrying one is refused rather than left unrevocable.
    if (!isRevocableId(claims.sub) || (claims.sid !== undefined && !isRevocableId(claims.sid))) {
      throw new TokenClaimsError('the token names a user or session that cannot be revoked', {
        reason: 'unrevocable_id',
        claim: 'sub',
      });
    }
    if (claims.iat < this.#unknownFloorSeconds) {
      throw new TokenRevokedError('the token predates a revocation this version cannot read', {
        reason: 'unknown_entry',
      });
    }
    // Security: exact, not in whole seconds. A token signed in the second the origin began, before
    // it, has `iat * 1000 < originMs`: it is rejected (one signed just after it, in that second, too).
    if (claims.iat * 1000 < this.#originMs) {
      throw new TokenRevokedError('the token predates the revocation data (lost or reset)', {
        reason: 'origin',
      });
    }
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
