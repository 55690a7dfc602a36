import type {
  AccessTokenClaims,
  AccessTokens,
  DpopVerifier,
  IssuedAccessToken,
  JsonValue,
  TesseraErrorCode,
} from '@tessera/core';
import type { Denylist, DenylistStatus } from '@tessera/denylist';
import type { RefreshTokens, SessionInfo, SessionMeta } from '@tessera/refresh';

/**
 * The custom claims of your access tokens, declared once by your app; `sessions.verify`, Express's
 * `req.auth`, Fastify's `request.auth` and Hono's `c.var.auth` then type them:
 *
 * ```ts
 * declare module '@tessera/sessions' {
 *   interface CustomClaims {
 *     readonly role?: 'customer' | 'admin';
 *   }
 * }
 * ```
 *
 * A declaration, not a check: verify proves the claims are what your server signed; put only what
 * this shape says into them (the `claims` resolver and `login`'s `claims`).
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty until an app declares its claims (declaration merging)
export interface CustomClaims {}

/**
 * The claims of a verified session access token: the session id and the epoch are guaranteed, and
 * your {@link CustomClaims} are typed.
 */
export type SessionAccessClaims = AccessTokenClaims &
  CustomClaims & {
    /** The session the token belongs to (always present on a session's tokens). */
    readonly sid: string;
    /** The user's revocation epoch when the token was issued. */
    readonly epoch: number;
  };

/** The claims a session's access tokens carry beyond the registered ones. */
export interface SessionClaims {
  /** Scopes: a space-separated string or a list of scope tokens. */
  readonly scope?: string | readonly string[];
  /** Custom claims; they may not override registered ones. */
  readonly claims?: { readonly [claim: string]: JsonValue };
}

/**
 * Where the claims of every refreshed access token come from: your source of truth for roles and
 * scopes, asked again at each refresh, so a privilege change shows in the next token.
 */
export type ClaimsResolver = (sub: string) => SessionClaims | Promise<SessionClaims>;

/** What `policy.anomaly` decides. */
export type PolicyDecision = 'allow' | 'revoke';

/**
 * A change of device between two rotations of one session: its user agent or IP changed, or
 * (`dpopKey`) the refresh token of a DPoP-bound session came with another key's proof or none. The
 * token was genuine, so whoever sent it holds a stolen token without the key: a theft signal.
 */
export interface AnomalySignal {
  /** The session whose device changed. */
  readonly sessionId: string;
  /** The session's user. */
  readonly sub: string;
  /** What changed. */
  readonly changed: readonly ('userAgent' | 'ip' | 'dpopKey')[];
  /** The metadata the session last recorded. */
  readonly previous: SessionMeta;
  /** The metadata of this refresh. */
  readonly current: SessionMeta;
}

/** Decisions you plug in. */
export interface SessionPolicy {
  /**
   * Called when the user agent or IP of a session changed between rotations, or a DPoP-bound
   * session's refresh token came without a proof by its key (`changed: ['dpopKey']`). Return
   * `'revoke'` to end the session at once. A user agent or IP change then fails the refresh with
   * `ERR_SESSION_REVOKED` (reason `policy`); a key mismatch is refused whatever you decide
   * (`ERR_DPOP_PROOF`). Default: allow a device change, revoke on a key mismatch. The
   * `session.anomaly` event is emitted either way. A throw counts as `'revoke'`.
   */
  readonly anomaly?: (signal: AnomalySignal) => PolicyDecision | Promise<PolicyDecision>;
}

/** Why a session ended. */
export type SessionEndReason =
  | 'logout'
  | 'revoked'
  | 'reuse'
  | 'logout_everywhere'
  | 'credentials_changed'
  | 'user_revoked'
  | 'evicted'
  | 'policy'
  /** The refresh store lost rotations (Redis data loss): a token ahead of it was presented. */
  | 'store_behind';

/** Why all of a user's access tokens were revoked. */
export type UserRevokeReason = 'logout_everywhere' | 'credentials_changed' | 'privileges_changed';

interface EventBase {
  /** When it happened, ms since the epoch (the injected clock). */
  readonly at: number;
}

/**
 * The client that presented a token: its IP and user agent, as the HTTP layer saw them (raw, or
 * fingerprinted with `eventClient: 'fingerprint'`: 12 characters of their SHA-256).
 */
export interface EventClient {
  /** The client's IP (or its fingerprint). */
  readonly ip?: string | undefined;
  /** The client's user agent (or its fingerprint). */
  readonly userAgent?: string | undefined;
}

/**
 * Lifecycle events, for monitoring and audit. They carry ids and short token fingerprints (12
 * characters of the token's SHA-256, to correlate log lines), never a token.
 */
export type SessionEvent =
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'session.created';
      /** The session concerned. */
      readonly sessionId: string;
      /** The user concerned. */
      readonly sub: string;
      /** The device metadata recorded at login. */
      readonly meta: SessionMeta;
    })
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'session.rotated' | 'session.retried';
      /** The session concerned. */
      readonly sessionId: string;
      /** The user concerned. */
      readonly sub: string;
      /** The refresh token generation now current. */
      readonly generation: number;
    })
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'session.reuse_detected';
      /** The session concerned. */
      readonly sessionId: string;
      /** The session's user. */
      readonly sub?: string;
      /** Fingerprint of the replayed (stolen or duplicated) refresh token. */
      readonly fingerprint: string;
      /** Who replayed it (the request that presented the spent token). */
      readonly client?: EventClient;
    })
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'session.revoked';
      /** The session concerned. */
      readonly sessionId: string;
      /** The user concerned. */
      readonly sub?: string;
      /** Why (a stable code). */
      readonly reason: SessionEndReason;
    })
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'user.revoked';
      /** The user concerned. */
      readonly sub: string;
      /** The user's new epoch: every access token stamped lower is revoked. */
      readonly epoch: number;
      /** Why (a stable code). */
      readonly reason: UserRevokeReason;
      /** Whether the user's sessions ended too. */
      readonly sessionsEnded: boolean;
    })
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'session.anomaly';
    } & AnomalySignal & {
        /** What the policy decided. */
        readonly decision: PolicyDecision;
      })
  | (EventBase & {
      /** What happened (see the table in docs/sessions.md). */
      readonly type: 'token.rejected';
      /** Which kind of token was refused. */
      readonly kind: 'access' | 'refresh';
      /** The error code: the category of the rejection. */
      readonly category: TesseraErrorCode;
      /** Why (a stable code). */
      readonly reason?: string;
      /** The session concerned. */
      readonly sessionId?: string;
      /** The subject of an authentic token refused (expired, revoked, reused, out of scope); never a forger's word. */
      readonly sub?: string;
      /** A 12-character fingerprint of the token (never the token). */
      readonly fingerprint: string;
      /** The request that presented it, when the caller passed it (the HTTP layer does). */
      readonly client?: EventClient;
    });

/** Every event type. */
export type SessionEventType = SessionEvent['type'];

/** Options of {@link createSessions}. */
export interface SessionsOptions {
  /** Access tokens (`@tessera/core`). Sessions runs the denylist check on every verify itself. */
  readonly access: AccessTokens;
  /** Refresh tokens (`@tessera/refresh`). */
  readonly refresh: RefreshTokens;
  /** The denylist (`@tessera/denylist`): started (one that is not starts itself on first use, and warns). */
  readonly denylist: Denylist;
  /** Receives every lifecycle event. It should not throw; a throw is reported as a process warning. */
  readonly events?: (event: SessionEvent) => void;
  /** Decisions on anomalies. */
  readonly policy?: SessionPolicy;
  /**
   * Verifies the DPoP proofs of the token endpoint (`login` and `refresh` with `dpop`): the same
   * verifier as `createAccessTokens({ dpop })`, so that one replay cache sees every proof.
   */
  readonly dpop?: DpopVerifier;
  /** The claims of refreshed tokens (and the base of login's). Default: none. */
  readonly claims?: ClaimsResolver;
  /** Current time in ms, for event times. Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * How events name the presenting client (`client`: IP and user agent): `'raw'` (default) or
   * `'fingerprint'` (12 characters of each one's SHA-256: still correlates, names no one).
   */
  readonly eventClient?: 'raw' | 'fingerprint';
}

/** A new token pair. */
export interface SessionTokens {
  /** The access token. A secret: send it to the client, never log it. */
  readonly accessToken: IssuedAccessToken;
  /** The refresh token. A secret: send it to the client once, never log it. */
  readonly refreshToken: string;
  /** The session's times and ids (device metadata: see `list`). */
  readonly session: SessionSummary;
}

/** A session's ids and times. */
export type SessionSummary = Omit<SessionInfo, 'meta'>;

/** What {@link Sessions.refresh} returns. */
export interface RefreshedTokens extends SessionTokens {
  /** True when this was an idempotent retry within the grace window (same refresh token again). */
  readonly retried: boolean;
}

/**
 * A request's DPoP proof (RFC 9449) at the token endpoint: the `DPoP` header, the request's method
 * and absolute URL, and whether a server nonce is required.
 */
export interface DpopPresentation {
  /** The `DPoP` header's value. */
  readonly proof: string;
  /** The request's HTTP method. */
  readonly method: string;
  /** The request's absolute URL. */
  readonly url: string;
  /** Require a current server nonce in the proof (the DPoP verifier's `nonces`). */
  readonly requireNonce?: boolean;
}

/** Options of {@link Sessions.login}. */
export interface LoginOptions extends SessionClaims {
  /** Device metadata (user agent, IP, label) for the devices page and anomaly signals. */
  readonly meta?: SessionMeta;
  /**
   * The login request's DPoP proof: the session (refresh token) and its access tokens are bound to
   * the proof's key. Needs the `dpop` option.
   */
  readonly dpop?: DpopPresentation;
}

/** Options of {@link Sessions.refresh}. */
export interface RefreshOptions {
  /** Device metadata of this request, compared with the stored one (anomaly signals). */
  readonly meta?: SessionMeta;
  /**
   * The refresh request's DPoP proof. A bound session needs one by its key; the new access token is
   * bound to the proof's key. Needs the `dpop` option.
   */
  readonly dpop?: DpopPresentation;
}

/** What {@link Sessions.credentialsChanged} returns. */
export interface CredentialsChangedResult {
  /** The sessions that ended. */
  readonly revoked: readonly string[];
  /** The new session that replaces `keep` on its device (a fresh id: rotation on credential change). */
  readonly kept?: SessionTokens;
}

/** The session service returned by {@link createSessions}. */
export interface Sessions {
  /**
   * Starts a new session (always a new id: no fixation) and returns its first token pair. Call it
   * once the user has authenticated.
   */
  login(sub: string, options?: LoginOptions): Promise<SessionTokens>;
  /**
   * Rotates a refresh token into a new pair. The new access token carries the epoch read for the
   * session in the same step. Rejects with `ERR_REFRESH_INVALID`, `ERR_REFRESH_EXPIRED`,
   * `ERR_REFRESH_REUSED` (the session and its access tokens are now revoked), `ERR_SESSION_REVOKED`,
   * `ERR_DPOP_PROOF` (a bad proof, or a bound session's token without a proof by its key) or
   * `ERR_UNAVAILABLE`.
   */
  refresh(refreshToken: string, options?: RefreshOptions): Promise<RefreshedTokens>;
  /** Verifies an access token of a session, including the revocation check. */
  verify(accessToken: string, options?: SessionVerifyOptions): Promise<SessionAccessClaims>;
  /**
   * Ends one session, named by one of its refresh tokens (any generation) or by its id, and revokes
   * its live access tokens at once. Resolves false when the session was not live (idempotent).
   */
  logout(refreshTokenOrSessionId: string): Promise<boolean>;
  /** Ends every session of `sub` and revokes every access token: one epoch increment. */
  logoutEverywhere(sub: string): Promise<{
    /** The ids of the sessions that ended. */
    readonly revoked: readonly string[];
  }>;
  /**
   * After a password or MFA change: every access token of `sub` is revoked and (unless
   * `revokeSessions: false`) every session ends. `keep` names the session of the device that made
   * the change: it is replaced by a new session for the same device, returned as `kept`.
   */
  credentialsChanged(
    sub: string,
    options?: { keep?: string; revokeSessions?: boolean },
  ): Promise<CredentialsChangedResult>;
  /**
   * After a change of roles or scopes: every access token of `sub` is revoked, sessions go on, and
   * each one's next refresh carries the claims `options.claims` resolves then.
   */
  privilegesChanged(sub: string): Promise<void>;
  /** The live sessions of `sub`, oldest first: for a devices page. */
  list(sub: string): Promise<readonly SessionInfo[]>;
  /**
   * Ends one session by id (a devices page's "sign out this device"). False when not live, or, with
   * `options.owner`, when it is not a session of that subject (the store checks it in the same step
   * that ends the session; another user's session and its tokens are left alone).
   */
  revokeSession(sessionId: string, options?: { owner?: string }): Promise<boolean>;
  /**
   * For a readiness probe: `ready` is true when access tokens can be verified (the denylist vouches
   * for its view). The stores' health shows per call (ERR_UNAVAILABLE).
   */
  status(): SessionsStatus;
}

/** What {@link Sessions.status} reports. */
export interface SessionsStatus {
  /** True when access tokens can be verified now. */
  readonly ready: boolean;
  /** The denylist's own status. */
  readonly denylist: DenylistStatus;
}

/** Options of {@link Sessions.verify}. */
export interface SessionVerifyOptions {
  /** Scopes the token must carry (all of them). */
  readonly scope?: string | readonly string[];
  /** The request's DPoP proof, for a DPoP-bound token (core's `VerifyOptions.dpop`). */
  readonly dpop?: DpopPresentation;
  /**
   * The presenting client, for the `token.rejected` event (a function is called only if one is
   * emitted: nothing is spent on the accepted path).
   */
  readonly client?: EventClient | (() => EventClient);
}
