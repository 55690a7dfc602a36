import type { Maybe } from './maybe.js';

/**
 * Where used DPoP proof ids are remembered. `remember` answers true the first time an id is seen
 * within its expiry and false for a replay; it throws (or rejects) when it cannot tell, and the
 * proof is then refused as `ERR_UNAVAILABLE` (fail closed). `@tessera/denylist` has a Redis one.
 */
export interface ReplayCache {
  /** Records `id` for `ttlMs` milliseconds; false when it is already recorded (a replay). */
  remember(id: string, ttlMs: number): Maybe<boolean>;
}

/**
 * The in-process replay cache: at most `maxEntries` ids, each until its expiry. Past the bound it
 * refuses new proofs (throws, so they fail closed as `ERR_UNAVAILABLE`) rather than forget an id that
 * could then be replayed.
 */
export class MemoryReplayCache implements ReplayCache {
  /** id → expiry. Proofs arrive in nearly the order they expire, so sweeping from the oldest stops early. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries: number,
    private readonly clock: () => number,
  ) {}

  remember(id: string, ttlMs: number): boolean {
    const now = this.clock();
    const expiresAt = now + ttlMs;
    for (const [oldest, expiry] of this.seen) {
      if (expiry > now) break;
      this.seen.delete(oldest);
    }
    const known = this.seen.get(id);
    if (known !== undefined && known > now) return false;
    if (this.seen.size >= this.maxEntries) {
      throw new Error('the DPoP replay cache is full: proofs are refused until entries expire');
    }
    this.seen.set(id, expiresAt);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
