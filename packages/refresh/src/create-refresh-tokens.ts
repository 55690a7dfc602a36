import {
  ConfigError,
  DpopProofError,
  RefreshExpiredError,
  RefreshInvalidError,
  RefreshReusedError,
  SessionRevokedError,
  TesseraError,
  TokenClaimsError,
  UnavailableError,
} from '@tessera/core';
import { isWellFormedId, MAX_ID_LENGTH, scrubbedCause } from '@tessera/core/internal';
import type { Mutable } from './lib/mutable.js';
import { resolveRefreshOptions } from './lib/options.js';
import { formatToken, newNonce, newSessionId, nonceDigest, parseToken } from './lib/token-format.js';
import type {
  RefreshStore,
  RotatedSession,
  RotateOutcome,
  RotateRequest,
  SessionMeta,
  SessionRecord,
} from './store.js';

/** Options of {@link createRefreshTokens}; validated once (`ERR_CONFIG`). Durations in seconds. */
export interface RefreshTokensOptions {
  /** Where sessions live: `createMemoryStore()` or `createRedisStore()` (or your own, held to the contract suite). */
  readonly store: RefreshStore;
  /**
   * MAC secrets, newest first: the first signs new sessions; the others keep their sessions working
   * until they end. Each at least 32 bytes; generate with `crypto.randomBytes(32)`.
   */
  readonly secrets: readonly {
    /** Names the secret in every token it MACs (1-16 characters of `A-Za-z0-9_-`). */
    readonly id: string;
    /** At least 32 random bytes (`randomBytes(32)`); never a password. */
    readonly secret: Uint8Array | string;
  }[];
  /** Idle lifetime: a session unused this long expires. Default 7 days. */
  readonly idleTtl?: number;
  /** Absolute lifetime, fixed at creation. Default 30 days. */
  readonly absoluteTtl?: number;
  /** Grace window for the previous generation (idempotent retries). Default 10 s, at most 60. */
  readonly reuseGrace?: number;
  /** Live sessions per user; the oldest is evicted beyond it. Default 50. */
  readonly maxSessionsPerUser?: number;
  /** Current time in ms. Default `Date.now`. */
  readonly clock?: () => number;
}

/** A session as listed for a devices page: never the token. */
export interface SessionInfo {
  /** The session id (not a secret). */
  readonly sessionId: string;
  /** The session's user. */
  readonly sub: string;
  /** When the session began (login). */
  readonly createdAt: Date;
  /** When it was last refreshed. */
  readonly lastUsedAt: Date;
  /** The earlier of the idle and the absolute expiry. */
  readonly expiresAt: Date;
  /** When it ends whatever happens (the absolute lifetime). */
  readonly absoluteExpiresAt: Date;
  /** The device metadata last recorded. */
  readonly meta: SessionMeta;
  /** The user's revocation epoch when the session began, if given. */
  readonly epoch?: number;
  /** True when the session is bound to a DPoP key: each refresh needs a proof by that key. */
  readonly bound: boolean;
}

/** What {@link RefreshTokens.issue} takes. */
export interface IssueRefreshInput {
  /** The session's user: 1-16,384 characters. */
  readonly sub: string;
  /** Device metadata for the devices page and anomaly checks. */
  readonly meta?: SessionMeta;
  /** The user's revocation epoch now (see `@tessera/denylist`). */
  readonly epoch?: number;
  /**
   * Binds the session to a DPoP key (RFC 9449, public clients): the thumbprint of the login's
   * verified proof. Every rotation then needs a proof by that key (`rotate(token, { jkt })`).
   */
  readonly jkt?: string;
}

/** What {@link RefreshTokens.rotate} takes beside the token. */
export interface RotateRefreshOptions {
  /** New device metadata, compared with the stored one (`previousMeta`) and recorded. */
  readonly meta?: SessionMeta;
  /** The thumbprint of the key of the request's verified DPoP proof, if it carried one. */
  readonly jkt?: string;
}

/** What {@link RefreshTokens.issue} returns. */
export interface IssuedRefreshToken {
  /** The refresh token. A secret: send it to the client once, never log it. */
  readonly token: string;
  /** The new session. */
  readonly session: SessionInfo;
  /** Sessions evicted by the per-user cap. */
  readonly evicted: readonly string[];
}

/** What {@link RefreshTokens.rotate} returns. */
export interface RotatedRefreshToken {
  /** The successor refresh token. A secret: send it to the client, never log it. */
  readonly token: string;
  /** The session (token family). */
  readonly sessionId: string;
  /** The session's user. */
  readonly sub: string;
  /** The user epoch the session was created under. */
  readonly epoch: number | undefined;
  /** The generation of the returned token. */
  readonly generation: number;
  /** True when this was the previous generation within the grace window: the same successor again. */
  readonly retried: boolean;
  /** The session's times after this rotation (device metadata: see `list`). */
  readonly session: Omit<SessionInfo, 'meta'>;
  /** The DPoP key the session is bound to (the proof's, checked by the store), if bound. */
  readonly jkt?: string;
  /**
   * The device metadata stored before this call, present only when `meta` was passed: compare it
   * with the new one to spot a changed user agent or IP between rotations.
   */
  readonly previousMeta?: SessionMeta;
}

/** The refresh-token service returned by {@link createRefreshTokens}. */
export interface RefreshTokens {
  /** Starts a new session (always a new family: no fixation), bound to a DPoP key with `jkt`. */
  issue(input: IssueRefreshInput): Promise<IssuedRefreshToken>;
  /**
   * Rotates a refresh token (see docs/refresh-tokens.md for the state machine). A bound session's
   * token needs `jkt`, the thumbprint of a proof by its key: otherwise `ERR_DPOP_PROOF` (reason
   * `proof_required` or `key_mismatch`) and nothing changes.
   */
  rotate(token: string, options?: RotateRefreshOptions): Promise<RotatedRefreshToken>;
  /**
   * Revokes one session. False when there was no such live session, or, with `options.owner`, when
   * it is not a session of that subject (a devices page passes the signed-in user: someone else's id
   * then reads as not found). `reason`: 1-64 characters.
   */
  revoke(sessionId: string, reason?: string, options?: { owner?: string }): Promise<boolean>;
  /** Revokes every session of `sub` but those in `except`; returns the revoked ids. `reason`: 1-64 characters. */
  revokeAll(
    sub: string,
    options?: { except?: readonly string[]; reason?: string },
  ): Promise<readonly string[]>;
  /** The live sessions of `sub`, oldest first. */
  list(sub: string): Promise<readonly SessionInfo[]>;
  /**
   * The session a refresh token names, once its MAC checks out (no store access, any generation):
   * for a logout that presents the token. Undefined for anything malformed or forged.
   */
  sessionIdOf(token: string): string | undefined;
}

const META_LIMIT = 512;
const MAX_REASON_LENGTH = 64;

/** A revocation reason is a short code (`logout`, `credentials_changed`): it is stored with the session and reported back. */
function checkReason(reason: unknown): void {
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > MAX_REASON_LENGTH) {
    throw new TokenClaimsError(
      `cannot revoke: "reason" must be a string of 1-${MAX_REASON_LENGTH} characters`,
      {
        reason: 'invalid_input',
        claim: 'reason',
      },
    );
  }
}

/** An RFC 7638 SHA-256 thumbprint: 43 base64url characters. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

function checkJkt(jkt: unknown, doing: string): asserts jkt is string | undefined {
  if (jkt !== undefined && (typeof jkt !== 'string' || !THUMBPRINT.test(jkt))) {
    throw new TokenClaimsError(
      `${doing}: "jkt" must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)`,
      {
        reason: 'invalid_input',
        claim: 'jkt',
      },
    );
  }
}

/** A subject (`sub` of a new session, the `owner` of a revocation): the rule of every package. */
function requireSubject(value: unknown, claim: 'sub' | 'owner', doing: string): void {
  if (!isWellFormedId(value)) {
    throw new TokenClaimsError(
      `${doing}: "${claim}" must be a well-formed string of 1-${MAX_ID_LENGTH} characters`,
      { reason: 'invalid_input', claim },
    );
  }
}

/**
 * Creates the refresh-token service over a store.
 *
 * @example
 * ```ts
 * const refresh = createRefreshTokens({ store: createMemoryStore(), secrets: [{ id: 's1', secret: randomBytes(32) }] });
 * const { token } = await refresh.issue({ sub: 'user-1' });
 * const next = await refresh.rotate(token);
 * ```
 */
export function createRefreshTokens(options: RefreshTokensOptions): RefreshTokens {
  const config = resolveRefreshOptions(options);
  const { store, current, secrets, idleTtlMs, absoluteTtlMs, graceMs, maxSessionsPerUser, clock } = config;

  async function issue(input: IssueRefreshInput): Promise<IssuedRefreshToken> {
    requireSubject(input?.sub, 'sub', 'cannot issue a refresh token');
    checkJkt(input.jkt, 'cannot issue a refresh token');
    if (input.epoch !== undefined && !(Number.isSafeInteger(input.epoch) && input.epoch >= 0)) {
      throw new TokenClaimsError('cannot issue a refresh token: "epoch" must be a non-negative integer', {
        reason: 'invalid_input',
        claim: 'epoch',
      });
    }
    const now = clock();
    const sessionId = newSessionId(input.sub);
    const nonce = newNonce();
    const record: SessionRecord = {
      sessionId,
      sub: input.sub,
      generation: 0,
      nonceDigest: nonceDigest(nonce),
      secretId: current.id,
      createdAt: now,
      lastUsedAt: now,
      rotatedAt: now,
      absoluteExpiresAt: now + absoluteTtlMs,
      idleExpiresAt: now + Math.min(idleTtlMs, absoluteTtlMs),
      ...(input.epoch === undefined ? {} : { epoch: input.epoch }),
      meta: cleanMeta(input.meta),
      ...(input.jkt === undefined ? {} : { jkt: input.jkt }),
    };
    const evicted = await guard(() => store.create(record, maxSessionsPerUser));
    const bound = input.jkt !== undefined;
    return { token: formatToken(current, sessionId, 0, nonce, bound), session: info(record), evicted };
  }

  async function rotate(
    token: string,
    rotateOptions: RotateRefreshOptions = {},
  ): Promise<RotatedRefreshToken> {
    // Security: MAC first. Garbage and forgeries never reach the store, so they cannot touch a session.
    const parsed = parseToken(token, secrets);
    if (parsed === undefined)
      throw new RefreshInvalidError('the refresh token is not valid', { reason: 'malformed' });
    const { jkt } = rotateOptions;
    checkJkt(jkt, 'cannot rotate');
    const request: Mutable<RotateRequest> = {
      sessionId: parsed.sessionId,
      generation: parsed.generation,
      nonceDigest: nonceDigest(parsed.nonce),
      now: clock(),
      graceMs,
      idleTtlMs,
    };
    if (rotateOptions.meta !== undefined) request.meta = cleanMeta(rotateOptions.meta);
    if (jkt !== undefined) request.jkt = jkt;
    // Inline rather than `guard`: one promise fewer on the hot path, same mapping.
    let outcome: RotateOutcome;
    try {
      outcome = await store.rotate(request);
    } catch (error) {
      throw unavailable(error);
    }
    const sessionId = parsed.sessionId;
    switch (outcome.status) {
      case 'unknown':
        throw new RefreshInvalidError('the refresh token is not valid', {
          reason: 'unknown_session',
          sessionId,
        });
      case 'revoked':
        throw new SessionRevokedError('the session was revoked', {
          reason: outcome.session.revokedReason ?? 'revoked',
          sessionId,
          sub: outcome.session.sub,
        });
      case 'expired':
        throw new RefreshExpiredError('the session has expired', {
          reason: `${outcome.reason}_timeout`,
          sessionId,
          sub: outcome.session.sub,
        });
      case 'key_mismatch':
        throw jkt === undefined
          ? new DpopProofError('the refresh token is DPoP-bound: present it with a proof of its key', {
              reason: 'proof_required',
              sessionId,
              sub: outcome.session.sub,
            })
          : new DpopProofError('the proof is by another key than the session is bound to', {
              reason: 'key_mismatch',
              sessionId,
              sub: outcome.session.sub,
            });
      case 'reused':
        throw new RefreshReusedError('refresh token reuse detected: the session is revoked', {
          reason: 'reuse',
          sessionId,
          sub: outcome.session.sub,
        });
      case 'rotated':
      case 'retry': {
        const { session } = outcome;
        // Security: the token says it is bound (the mark is under its MAC), so the store must vouch
        // for the key of this very request. One that rotated it without (a custom store that drops
        // `jkt`) gets no successor handed out: never a bearer token again, whatever the store.
        if (parsed.bound && (jkt === undefined || session.jkt !== jkt)) await storeIgnoresBinding(sessionId);
        // The successor is a pure function of the token and the session's secret: a retry gets the same one.
        const rotated: Mutable<RotatedRefreshToken> = {
          token: formatToken(parsed.secret, sessionId, session.generation, parsed.nonce, parsed.bound),
          sessionId,
          sub: session.sub,
          epoch: session.epoch,
          generation: session.generation,
          retried: outcome.status === 'retry',
          session: times(sessionId, session),
        };
        if (session.previousMeta !== undefined) rotated.previousMeta = session.previousMeta;
        if (session.jkt !== undefined) rotated.jkt = session.jkt;
        return rotated;
      }
    }
  }

  /**
   * A bound token rotated by a store that did not vouch for the key (a custom store that drops
   * `jkt`): the chain is ended, never handed out, and the store named as the fault.
   */
  async function storeIgnoresBinding(sessionId: string): Promise<never> {
    await guard(() => store.revoke(sessionId, 'store_ignores_binding', clock())).catch(() => false);
    throw new ConfigError(
      'the refresh store does not keep DPoP bindings (run describeRefreshStoreContract on it): the session is revoked',
      { reason: 'store_ignores_binding', sessionId },
    );
  }

  async function revoke(
    sessionId: string,
    reason = 'revoked',
    options: { owner?: string } = {},
  ): Promise<boolean> {
    checkReason(reason);
    const { owner } = options;
    if (owner !== undefined) requireSubject(owner, 'owner', 'cannot revoke');
    if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 64) return false;
    return guard(() => store.revoke(sessionId, reason, clock(), owner));
  }

  async function revokeAll(sub: string, revokeOptions: { except?: readonly string[]; reason?: string } = {}) {
    const reason = revokeOptions.reason ?? 'revoked';
    checkReason(reason);
    return guard(() => store.revokeAll(sub, revokeOptions.except ?? [], reason, clock()));
  }

  async function list(sub: string): Promise<readonly SessionInfo[]> {
    const records = await guard(() => store.list(sub, clock()));
    return records.map(info);
  }

  function sessionIdOf(token: string): string | undefined {
    return parseToken(token, secrets)?.sessionId;
  }

  return Object.freeze({ issue, rotate, revoke, revokeAll, list, sessionIdOf });
}

/**
 * Store failures become ERR_UNAVAILABLE (retryable); nothing was consumed, since the store is atomic.
 * A plain `.then` rather than an async wrapper: one promise fewer on every rotation.
 */
function guard<T>(operation: () => Promise<T>): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = operation();
  } catch (error) {
    return Promise.reject(unavailable(error));
  }
  return pending.then(undefined, (error: unknown) => {
    throw unavailable(error);
  });
}

function unavailable(error: unknown): TesseraError {
  if (error instanceof TesseraError) return error;
  return new UnavailableError('the refresh-token store is unavailable', {
    reason: 'store',
    cause: scrubbedCause(error),
  });
}

function cleanMeta(meta: SessionMeta | undefined): SessionMeta {
  if (meta === undefined || meta === null || typeof meta !== 'object') return {};
  const clip = (value: unknown) => (typeof value === 'string' ? value.slice(0, META_LIMIT) : undefined);
  const result: { userAgent?: string; ip?: string; label?: string } = {};
  const userAgent = clip(meta.userAgent);
  const ip = clip(meta.ip);
  const label = clip(meta.label);
  if (userAgent !== undefined) result.userAgent = userAgent;
  if (ip !== undefined) result.ip = ip;
  if (label !== undefined) result.label = label;
  return result;
}

function info(record: SessionRecord): SessionInfo {
  return { ...times(record.sessionId, record), meta: record.meta };
}

function times(sessionId: string, session: RotatedSession | SessionRecord): Omit<SessionInfo, 'meta'> {
  return {
    sessionId,
    sub: session.sub,
    createdAt: new Date(session.createdAt),
    lastUsedAt: new Date(session.lastUsedAt),
    expiresAt: new Date(Math.min(session.idleExpiresAt, session.absoluteExpiresAt)),
    absoluteExpiresAt: new Date(session.absoluteExpiresAt),
    ...(session.epoch === undefined ? {} : { epoch: session.epoch }),
    bound: session.jkt !== undefined,
  };
}
