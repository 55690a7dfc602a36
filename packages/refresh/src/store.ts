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
  /** The client's User-Agent header. */
  readonly userAgent?: string;
  /** The client's IP, as your framework resolves it. */
  readonly ip?: string;
  /** A name the user gave the device (a devices page shows it). */
  readonly label?: string;
}

/** One session (token family) as the store keeps it. Holds nothing that turns back into a token. */
export interface SessionRecord {
  /** The session id. */
  readonly sessionId: string;
  /** The session's user. */
  readonly sub: string;
  /** The current generation: the token of this generation is the live one. */
  readonly generation: number;
  /** SHA-256 of the session nonce. */
  readonly nonceDigest: string;
  /** The id of the MAC secret of its tokens. */
  readonly secretId: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** When it was last used, ms. */
  readonly lastUsedAt: number;
  /** When the current generation was issued (start of the grace window of the previous one). */
  readonly rotatedAt: number;
  /** Fixed at creation, never extended. */
  readonly absoluteExpiresAt: number;
  /** Slides with each rotation, never past `absoluteExpiresAt`. */
  readonly idleExpiresAt: number;
  /** When it was revoked, ms; undefined while live. */
  readonly revokedAt?: number;
  /** Why it was revoked (a short code). */
  readonly revokedReason?: string;
  /** The user epoch the session was created under (see `@tessera/denylist`). */
  readonly epoch?: number;
  /** The device metadata last recorded. */
  readonly meta: SessionMeta;
  /**
   * The RFC 7638 thumbprint of the DPoP key the session is bound to (public clients): every rotation
   * must present a proof by that key. Undefined for an unbound (bearer) session.
   */
  readonly jkt?: string;
}

/** What a store's `rotate` receives: one presented token, already MAC-checked. */
export interface RotateRequest {
  /** The session the token names. */
  readonly sessionId: string;
  /** The generation the token carries. */
  readonly generation: number;
  /** The digest of the token's nonce; must match the stored one. */
  readonly nonceDigest: string;
  /** The current time, ms. */
  readonly now: number;
  /** How long after a rotation the previous generation is a retry, not reuse, ms. */
  readonly graceMs: number;
  /** The idle lifetime a rotation extends to, ms. */
  readonly idleTtlMs: number;
  /** New metadata to record with a rotation (fields present replace the stored ones). */
  readonly meta?: SessionMeta;
  /**
   * The thumbprint of the key of the request's verified DPoP proof, if it carried one. A bound
   * session whose `jkt` differs (or is absent here) answers `key_mismatch` and is left unchanged.
   */
  readonly jkt?: string;
}

/**
 * What a rotation reports of its session: small on purpose (on Redis the reply size is most of the
 * client's cost per rotation). Times in ms; after `rotated`, the values of the new generation.
 */
export interface RotatedSession {
  /** The session's user. */
  readonly sub: string;
  /** The generation now current. */
  readonly generation: number;
  /** When the session began, ms. */
  readonly createdAt: number;
  /** When it was last used, ms. */
  readonly lastUsedAt: number;
  /** When it ends whatever happens, ms. */
  readonly absoluteExpiresAt: number;
  /** When it ends unless used again, ms. */
  readonly idleExpiresAt: number;
  /** The user's epoch when the session began, if recorded. */
  readonly epoch?: number;
  /** Why the session was revoked (status `revoked` or `reused`). */
  readonly revokedReason?: string;
  /**
   * The device metadata stored before this call; present only when the request carried `meta`, so
   * that a caller can spot a changed user agent or IP between rotations.
   */
  readonly previousMeta?: SessionMeta;
  /**
   * The key the session is bound to; must be reported whenever the request carried a `jkt` (the
   * service refuses a rotation of a bound token whose store does not vouch for the key).
   */
  readonly jkt?: string;
}

/**
 * The outcome of a rotation attempt (the state machine of docs/refresh-tokens.md):
 * - `rotated`: the current generation was presented; the session now holds generation + 1;
 * - `retry`: the previous generation within the grace window; the session is unchanged;
 * - `reused`: an older generation, or the previous one after the window; the session is now revoked;
 * - `key_mismatch`: the session is bound to a DPoP key and the request's proof is by another key (or
 *   there is none); checked right after the nonce, before anything else, and nothing changes;
 * - `expired`: idle or absolute lifetime over; `revoked`: revoked earlier, or a generation ahead of
 *   the record was presented (the store lost rotations: the session is revoked now, reason
 *   `store_behind`); `unknown`: no such session (or the nonce does not match, or the stored record
 *   does not decode).
 */
export type RotateOutcome =
  | {
      /** What the state machine decided. */
      readonly status: 'rotated' | 'retry' | 'reused' | 'revoked' | 'key_mismatch';
      /** The session as it stands after the call. */
      readonly session: RotatedSession;
    }
  | {
      /** The session's lifetime ran out. */
      readonly status: 'expired';
      /** The session as it stands. */
      readonly session: RotatedSession;
      /** Which lifetime ran out. */
      readonly reason: 'idle' | 'absolute';
    }
  | {
      /** No such session (or the nonce does not match, or the record does not decode). */
      readonly status: 'unknown';
    };

/** Where refresh sessions live. Implement it for your own backend and run `describeRefreshStoreContract` (`@tessera/refresh/testing`) on it. */
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
