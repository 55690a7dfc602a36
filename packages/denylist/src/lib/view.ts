import { type AccessTokenClaims, TokenClaimsError, TokenRevokedError } from '@tessera/core';
import { isRevocableId } from './ids.js';

/** One revocation as every process learns it (from the Redis stream, or directly in memory). */
export type Revocation =
  | { readonly kind: 'user'; readonly sub: string; readonly epoch: number; readonly at: number }
  | { readonly kind: 'session'; readonly sid: string; readonly at: number };

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
  readonly #users = new Map<string, Entry>();
  readonly #sessions = new Map<string, Entry>();
  /** Arrival order, for trimming; entries before `#head` are gone. */
  #queue: Revocation[] = [];
  #head = 0;
  #originSeconds: number;

  constructor(windowMs: number, originMs: number) {
    this.#windowMs = windowMs;
    this.#originSeconds = Math.floor(originMs / 1000);
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
    this.#originSeconds = Math.floor(originMs / 1000);
  }

  /** Records a revocation. Idempotent: replays and out-of-order epochs never lower what is held. */
  apply(revocation: Revocation, now: number): void {
    if (now - revocation.at >= this.#windowMs) return;
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
   * its user's, or for a revoked session; ERR_TOKEN_CLAIMS for ids that no revocation could name.
   */
  check(claims: AccessTokenClaims): void {
    // Security: a sub or sid with a lone surrogate could not be revoked (UTF-8 would merge it with
    // others), so a token carrying one is refused rather than left unrevocable.
    if (!isRevocableId(claims.sub) || (claims.sid !== undefined && !isRevocableId(claims.sid))) {
      throw new TokenClaimsError('the token names a user or session that cannot be revoked', {
        reason: 'unrevocable_id',
        claim: 'sub',
      });
    }
    if (claims.iat < this.#originSeconds) {
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
  }
}
