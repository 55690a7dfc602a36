import {
  type AccessTokenClaims,
  TokenClaimsError,
  TokenExpiredError,
  TokenRevokedError,
} from '@tessera/core';
import { isRevocableId } from './ids.js';
import type { RevocationWindow } from './options.js';

/** One revocation as every process learns it (from the Redis stream, or directly in memory). */
export type Revocation =
  | { readonly kind: 'user'; readonly sub: string; readonly epoch: number; readonly at: number }
  | { readonly kind: 'session'; readonly sid: string; readonly at: number }
  /** An entry this version cannot read (newer or damaged): `at` is its stream time (Redis ms). */
  | { readonly kind: 'unknown'; readonly at: number };

interface Entry {
  readonly epoch: number;
  readonly at: number;
}

/**
 * The in-process view of recent revocations: what `check` consults, with no I/O.
 *
 * Only the last `windowMs` matter (the longest an access token can live, plus the clock tolerance
 * and a margin): a token issued before an older revocation has expired, and `verify` rejects it as
 * expired before it asks us. Entries are kept in arrival order and dropped from the front once
 * older than the window, so memory is bounded by the revocations of one token lifetime.
 *
 * `originMs` is when the revocation data began (the Redis dataset, or the process for the memory
 * denylist). Tokens issued before it are rejected: the revocations made before it are lost, so
 * none of those tokens can be trusted (a lost epoch must never revive a revoked token).
 */
export class RevocationView {
  readonly #windowMs: number;
  readonly #horizonMs: number;
  readonly #users = new Map<string, Entry>();
  readonly #sessions = new Map<string, Entry>();
  /** Arrival order, for trimming; entries before `#head` are gone. */
  #queue: Exclude<Revocation, { kind: 'unknown' }>[] = [];
  #head = 0;
  #originMs: number;
  /** Tokens issued before this (seconds) are rejected: an unreadable revocation may name them. */
  #unknownFloorSeconds = 0;
  readonly #marginMs: number;

  constructor(window: RevocationWindow, originMs: number) {
    this.#windowMs = window.windowMs;
    this.#horizonMs = window.horizonSeconds * 1000;
    this.#marginMs = window.windowMs - this.#horizonMs;
    this.#originMs = originMs;
  }

  /** Entries held (users plus sessions). */
  get size(): number {
    return this.#users.size + this.#sessions.size;
  }

  /** Forgets everything and starts over from a new origin (after Redis data loss). */
  reset(originMs: number): void {
    this.#users.clear();
    this.#sessions.clear();
    this.#queue = [];
    this.#head = 0;
    this.#originMs = originMs;
    this.#unknownFloorSeconds = 0;
  }

  /** The highest epoch of `sub` this view holds (0 when none): what Redis must never go below. */
  epochOf(sub: string): number {
    return this.#users.get(sub)?.epoch ?? 0;
  }

  /** Records a revocation. Idempotent: replays and out-of-order epochs never lower what is held. */
  apply(revocation: Revocation, now: number): void {
    if (now - revocation.at >= this.#windowMs) return;
    if (revocation.kind === 'unknown') {
      // Fail closed: it may revoke any token issued before it (plus the margin, for clock skew).
      const floor = Math.ceil((revocation.at + this.#marginMs) / 1000);
      if (floor > this.#unknownFloorSeconds) this.#unknownFloorSeconds = floor;
      return;
    }
    if (revocation.kind === 'user') {
      const held = this.#users.get(revocation.sub);
      if (held !== undefined && held.epoch >= revocation.epoch) return;
      this.#users.set(revocation.sub, { epoch: revocation.epoch, at: revocation.at });
    } else {
      const held = this.#sessions.get(revocation.sid);
      if (held !== undefined && held.at >= revocation.at) return;
      this.#sessions.set(revocation.sid, { epoch: 0, at: revocation.at });
    }
    this.#queue.push(revocation);
  }

  /** Drops the entries older than the window. Cheap when there is nothing to drop. */
  trim(now: number): void {
    const queue = this.#queue;
    while (this.#head < queue.length && now - queue[this.#head]!.at >= this.#windowMs) {
      const old = queue[this.#head++]!;
      const map = old.kind === 'user' ? this.#users : this.#sessions;
      const key = old.kind === 'user' ? old.sub : old.sid;
      // Remove only if the map still holds this very revocation (not a later one for the same id).
      if (map.get(key)?.at === old.at) map.delete(key);
    }
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
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
    const user = this.#users.get(claims.sub);
    if (user !== undefined && (claims.epoch ?? 0) < user.epoch) {
      throw new TokenRevokedError("the user's tokens were revoked", { reason: 'user' });
    }
    if (claims.sid !== undefined && this.#sessions.has(claims.sid)) {
      throw new TokenRevokedError('the session was revoked', { reason: 'session', sessionId: claims.sid });
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
