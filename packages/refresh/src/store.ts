/**
 * The store contract. A store keeps one record per session and runs each operation atomically; the
 * rotation state machine lives in the store (a Lua script on Redis, a critical section in memory)
 * because read-check-write must be one step.
 *
 * A store throws only for infrastructure failures (the service maps those to `ERR_UNAVAILABLE`),
 * never for a business outcome, which it returns.
 * @packageDocumentation
 */

/** Device metadata shown in session listings. */
export interface SessionMeta {
  readonly userAgent?: string;
  readonly ip?: string;
  readonly label?: string;
}

/** One session (token family) as the store keeps it. Holds nothing that turns back into a token. */
export interface SessionRecord {
  readonly sessionId: string;
  readonly sub: string;
  /** The current generation: the token of this generation is the live one. */
  readonly generation: number;
  /** SHA-256 of the session nonce. */
  readonly nonceDigest: string;
  readonly secretId: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly lastUsedAt: number;
  /** When the current generation was issued (start of the grace window of the previous one). */
  readonly rotatedAt: number;
  /** Fixed at creation, never extended. */
  readonly absoluteExpiresAt: number;
  /** Slides with each rotation, never past `absoluteExpiresAt`. */
  readonly idleExpiresAt: number;
  readonly revokedAt?: number;
  readonly revokedReason?: string;
  /** The user epoch the session was created under (see `@tessera/denylist`). */
  readonly epoch?: number;
  readonly meta: SessionMeta;
}

export interface RotateRequest {
  readonly sessionId: string;
  readonly generation: number;
  readonly nonceDigest: string;
  readonly now: number;
  readonly graceMs: number;
  readonly idleTtlMs: number;
  /** New metadata to record with a rotation (fields present replace the stored ones). */
  readonly meta?: SessionMeta;
}

/**
 * What a rotation reports of its session: small on purpose (on Redis the reply size is most of the
 * client's cost per rotation). Times in ms; after `rotated`, the values of the new generation.
 */
export interface RotatedSession {
  readonly sub: string;
  readonly generation: number;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly absoluteExpiresAt: number;
  readonly idleExpiresAt: number;
  readonly epoch?: number;
  /** Why the session was revoked (status `revoked` or `reused`). */
  readonly revokedReason?: string;
  /**
   * The device metadata stored before this call; present only when the request carried `meta`, so
   * that a caller can spot a changed user agent or IP between rotations.
   */
  readonly previousMeta?: SessionMeta;
}

/**
 * The outcome of a rotation attempt (the state machine of docs/refresh-tokens.md):
 * - `rotated`: the current generation was presented; the session now holds generation + 1;
 * - `retry`: the previous generation within the grace window; the session is unchanged;
 * - `reused`: an older generation, or the previous one after the window; the session is now revoked;
 * - `expired`: idle or absolute lifetime over; `revoked`: revoked earlier, or a generation ahead of
 *   the record was presented (the store lost rotations: the session is revoked now, reason
 *   `store_behind`); `unknown`: no such session (or the nonce does not match, or the stored record
 *   does not decode).
 */
export type RotateOutcome =
  | { readonly status: 'rotated' | 'retry' | 'reused' | 'revoked'; readonly session: RotatedSession }
  | { readonly status: 'expired'; readonly session: RotatedSession; readonly reason: 'idle' | 'absolute' }
  | { readonly status: 'unknown' };

export interface RefreshStore {
  /** Stores a new session and evicts (deletes) the owner's oldest sessions beyond `maxSessions`. Returns the evicted ids. */
  create(record: SessionRecord, maxSessions: number): Promise<readonly string[]>;
  /** Runs the rotation state machine atomically. */
  rotate(request: RotateRequest): Promise<RotateOutcome>;
  /**
   * Marks a session revoked. False when there is no such live session; with `owner`, also when the
   * session is not of that subject (checked in the same atomic step: one call proves ownership).
   */
  revoke(sessionId: string, reason: string, now: number, owner?: string): Promise<boolean>;
  /** Revokes every live session of `sub` except those in `except`; returns the revoked ids. */
  revokeAll(sub: string, except: readonly string[], reason: string, now: number): Promise<readonly string[]>;
  /** The live sessions of `sub` (not revoked, not expired), oldest first: by creation time, then session id. */
  list(sub: string, now: number): Promise<readonly SessionRecord[]>;
}
