import type { AccessTokenClaims } from '../types.js';

interface Entry {
  readonly claims: AccessTokenClaims;
  readonly expiresAtMs: number;
}

/**
 * A bounded cache of tokens that passed every token-intrinsic check, keyed by the whole token (so
 * any change to any character misses). An entry never outlives the token's `exp`; failures are
 * never stored. When full, the oldest insertion is dropped (FIFO: a hit costs one map lookup).
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(token: string, nowMs: number): AccessTokenClaims | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAtMs) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  set(token: string, claims: AccessTokenClaims, expiresAtMs: number): void {
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { claims, expiresAtMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
