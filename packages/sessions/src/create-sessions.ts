import {
  type AccessTokenClaims,
  ConfigError,
  DpopProofError,
  RefreshInvalidError,
  SessionRevokedError,
  TesseraError,
  TokenClaimsError,
  UnavailableError,
} from '@tessera/core';
import { scrubbedCause, withSubject } from '@tessera/core/internal';
import type { SessionInfo, SessionMeta } from '@tessera/refresh';
import { changedMeta } from './lib/anomaly.js';
import { createEmitter } from './lib/emitter.js';
import { fingerprint } from './lib/fingerprint.js';
import { resolveSessionsOptions } from './lib/options.js';
import type {
  AnomalySignal,
  CredentialsChangedResult,
  DpopPresentation,
  EventClient,
  LoginOptions,
  PolicyDecision,
  RefreshedTokens,
  RefreshOptions,
  SessionAccessClaims,
  SessionClaims,
  SessionEndReason,
  SessionSummary,
  Sessions,
  SessionsOptions,
  SessionTokens,
  SessionVerifyOptions,
  UserRevokeReason,
} from './types.js';

const NO_CLAIMS: SessionClaims = Object.freeze({});
/** Longest string `logout` takes as a session id (refresh session ids are 33 characters). */
const MAX_SESSION_ID = 64;

/**
 * Creates the session service: login, rotation, verification and every kind of revocation, composed
 * from `@tessera/core` (access tokens), `@tessera/refresh` (rotating refresh tokens) and
 * `@tessera/denylist` (instant revocation).
 *
 * Two counters per user live in the denylist: the epoch (access tokens stamped below it are dead)
 * and the session floor (sessions created below it end at their next refresh). "Log out everywhere"
 * raises both; a privilege change raises only the epoch, so sessions go on with new claims.
 *
 * @example
 * ```ts
 * const sessions = createSessions({ access, refresh, denylist, events: (e) => log.info(e) });
 * const { accessToken, refreshToken } = await sessions.login('user-1', { meta: { userAgent } });
 * const claims = await sessions.verify(accessToken.token);
 * const next = await sessions.refresh(refreshToken);
 * await sessions.logout(next.refreshToken);
 * ```
 */
export function createSessions(options: SessionsOptions): Sessions {
  const {
    access,
    refresh,
    denylist,
    policy,
    dpop,
    claims: resolveClaims,
    clock,
  } = resolveSessionsOptions(options);
  const events = createEmitter(options.events);
  const emit = events.emit;

  async function claimsOf(sub: string): Promise<SessionClaims> {
    return resolveClaims === undefined ? NO_CLAIMS : await resolveClaims(sub);
  }

  function issueAccess(
    sub: string,
    sessionId: string,
    epoch: number,
    authMs: number,
    claims: SessionClaims,
    jkt: string | undefined,
  ) {
    return access.issue({
      sub,
      sid: sessionId,
      epoch,
      authTime: Math.floor(authMs / 1000),
      ...(claims.scope === undefined ? {} : { scope: claims.scope }),
      ...(claims.claims === undefined ? {} : { claims: claims.claims }),
      ...(jkt === undefined ? {} : { jkt }),
    });
  }

  /**
   * The key thumbprint of a token-endpoint request's DPoP proof (no access token: no `ath`), or
   * undefined without one. Rejects as the verifier does (`ERR_DPOP_PROOF`, `ERR_UNAVAILABLE`).
   */
  async function proofKey(presented: DpopPresentation | undefined): Promise<string | undefined> {
    if (presented === undefined) return undefined;
    if (typeof presented !== 'object' || presented === null) {
      throw new DpopProofError('dpop must be { proof, method, url }', { reason: 'missing', claim: 'dpop' });
    }
    if (dpop === undefined) {
      throw new ConfigError('a DPoP proof needs a verifier: the dpop option of createSessions', {
        reason: 'no_dpop_verifier',
        claim: 'dpop',
      });
    }
    const { proof, method, url, requireNonce } = presented;
    const verified = await dpop.verify(proof, {
      method,
      url,
      ...(requireNonce === undefined ? {} : { requireNonce }),
    });
    return verified.jkt;
  }

  /**
   * Every way a session ends goes through here, with one event shape. By default it ends the session
   * in the store and kills its live access tokens (both must succeed); `already` names what the
   * caller's own step did: the store ended it (reuse, a store behind, eviction, revokeAll) or an epoch
   * bump killed its tokens (log out everywhere, a credential change). The event is emitted when the
   * store ended it, here or before. Resolves true when this call ended a live session.
   */
  async function endSession(
    sessionId: string,
    reason: SessionEndReason,
    sub: string | undefined,
    already: { readonly inStore?: boolean; readonly tokensDead?: boolean } = {},
  ): Promise<boolean> {
    const [live] = await Promise.all([
      already.inStore === true ? true : refresh.revoke(sessionId, reason),
      already.tokensDead === true ? undefined : denylist.revokeSession(sessionId),
    ]);
    if (live)
      emit({
        type: 'session.revoked',
        at: clock(),
        sessionId,
        reason,
        ...(sub === undefined ? {} : { sub }),
      });
    return live;
  }

  /**
   * Ends every session of `sub` in the store, after an epoch bump, and each one's access tokens by
   * session id too. Security: the bump does not cover them all. A login that read the new epoch
   * while the bump was landing (before `revokeAll`) mints tokens at that epoch; its session is ended
   * here, and so must its tokens be (found by fast-check's scheduler in test/races.test.ts).
   */
  async function endAllSessions(sub: string, reason: 'logout_everywhere' | 'credentials_changed') {
    const revoked = await refresh.revokeAll(sub, { reason });
    await Promise.all(revoked.map((id) => endSession(id, reason, sub, { inStore: true })));
    return revoked;
  }

  async function revokeUser(sub: string, reason: UserRevokeReason, keepSessions: boolean): Promise<number> {
    const epoch = await denylist.revokeUser(sub, { keepSessions });
    emit({ type: 'user.revoked', at: clock(), sub, epoch, reason, sessionsEnded: !keepSessions });
    return epoch;
  }

  /** The presenting client as events name it (raw or fingerprinted, by `eventClient`); undefined for none. */
  function clientOf(given: EventClient | (() => EventClient) | undefined): EventClient | undefined {
    const client = typeof given === 'function' ? given() : given;
    const named = (value: string | undefined) =>
      value === undefined ? undefined : options.eventClient === 'fingerprint' ? fingerprint(value) : value;
    const ip = named(client?.ip);
    const userAgent = named(client?.userAgent);
    if (ip === undefined && userAgent === undefined) return undefined;
    return { ...(ip === undefined ? {} : { ip }), ...(userAgent === undefined ? {} : { userAgent }) };
  }

  function rejected(
    kind: 'access' | 'refresh',
    token: unknown,
    error: unknown,
    given?: EventClient | (() => EventClient),
  ): void {
    if (!events.enabled) return;
    const code = error instanceof TesseraError ? error.code : 'ERR_UNAVAILABLE';
    const detail = error instanceof TesseraError ? error : undefined;
    const client = clientOf(given);
    emit({
      type: 'token.rejected',
      at: clock(),
      kind,
      category: code,
      fingerprint: fingerprint(token),
      ...(detail?.reason === undefined ? {} : { reason: detail.reason }),
      ...(detail?.sessionId === undefined ? {} : { sessionId: detail.sessionId }),
      ...(detail?.sub === undefined ? {} : { sub: detail.sub }),
      ...(client === undefined ? {} : { client }),
    });
  }

  async function login(sub: string, loginOptions: LoginOptions = {}): Promise<SessionTokens> {
    // The proof first: a login with a bad one starts no session. (Without one, the epochs are read
    // at once, as the call is made.)
    const jkt = loginOptions.dpop === undefined ? undefined : await proofKey(loginOptions.dpop);
    const [{ epoch }, base] = await Promise.all([denylist.epochs(sub), claimsOf(sub)]);
    const issued = await refresh.issue({
      sub,
      epoch,
      ...(loginOptions.meta ? { meta: loginOptions.meta } : {}),
      ...(jkt === undefined ? {} : { jkt }),
    });
    const { session } = issued;
    const at = clock();
    emit({ type: 'session.created', at, sessionId: session.sessionId, sub, meta: session.meta });
    // Sessions evicted by the per-user cap end like any other: their access tokens die too.
    await Promise.all(
      issued.evicted.map((sessionId) => endSession(sessionId, 'evicted', sub, { inStore: true })),
    );
    const claims: SessionClaims = {
      ...((loginOptions.scope ?? base.scope) === undefined
        ? {}
        : { scope: loginOptions.scope ?? base.scope }),
      ...(base.claims === undefined && loginOptions.claims === undefined
        ? {}
        : { claims: { ...base.claims, ...loginOptions.claims } }),
    };
    const accessToken = issueAccess(sub, session.sessionId, epoch, session.createdAt.getTime(), claims, jkt);
    return { accessToken, refreshToken: issued.token, session: summary(session) };
  }

  /** A refresh, as its steps: rotate, enforce the session floor, screen the device, issue. */
  async function refreshTokens(
    refreshToken: string,
    refreshOptions: RefreshOptions = {},
  ): Promise<RefreshedTokens> {
    const meta = refreshOptions.meta;
    let jkt: string | undefined;
    try {
      jkt = await proofKey(refreshOptions.dpop);
    } catch (error) {
      rejected('refresh', refreshToken, error, meta);
      throw error;
    }
    const rotated = await rotateReporting(refreshToken, meta, jkt);
    const epoch = await enforceFloor(rotated, refreshToken, meta);
    if (meta !== undefined && rotated.previousMeta !== undefined) {
      await screenAnomaly(rotated.sessionId, rotated.sub, rotated.previousMeta, meta, refreshToken);
    }
    return issueRefreshed(rotated, epoch, jkt);
  }

  type Rotated = Awaited<ReturnType<typeof refresh.rotate>>;

  /**
   * Rotates the refresh token; a refusal is reported, a reuse or a store behind ends the session,
   * and a bound session's token without its key is screened as an anomaly.
   */
  async function rotateReporting(
    refreshToken: string,
    meta: SessionMeta | undefined,
    jkt: string | undefined,
  ): Promise<Rotated> {
    try {
      return await refresh.rotate(refreshToken, {
        ...(meta === undefined ? {} : { meta }),
        ...(jkt === undefined ? {} : { jkt }),
      });
    } catch (error) {
      rejected('refresh', refreshToken, error, meta);
      if (isKeyMismatch(error)) await screenKeyMismatch(error.sessionId, error.sub, meta ?? {});
      if (
        error instanceof TesseraError &&
        error.code === 'ERR_REFRESH_REUSED' &&
        error.sessionId !== undefined
      ) {
        await reuseDetected(error.sessionId, refreshToken, error.sub, meta);
      }
      if (isStoreBehind(error)) {
        // The store lost rotations (Redis data loss) and ended the session; its access tokens end too.
        await endSession(error.sessionId!, 'store_behind', undefined, { inStore: true });
      }
      throw error;
    }
  }

  /**
   * Ends a session created under the user's session floor; else resolves the user's epoch for the
   * new token. Security: one read of both counters. The new token carries the epoch that was just
   * checked against the session; a revokeUser landing after this read makes that epoch stale at once.
   */
  async function enforceFloor(rotated: Rotated, refreshToken: string, meta?: SessionMeta): Promise<number> {
    const { sessionId, sub } = rotated;
    const { epoch, sessionFloor } = await denylist.epochs(sub);
    if ((rotated.epoch ?? 0) < sessionFloor) {
      // Its access tokens are under the floor's epoch already; the denylist call makes it certain.
      await endSession(sessionId, 'user_revoked', sub);
      const error = new SessionRevokedError('the session was revoked', {
        reason: 'user_revoked',
        sessionId,
        sub,
      });
      rejected('refresh', refreshToken, error, meta);
      throw error;
    }
    return epoch;
  }

  /**
   * The new pair of a refreshed session, with the claims asked again of the resolver; the access
   * token is bound to the key of the request's proof, if it carried one.
   */
  async function issueRefreshed(
    rotated: Rotated,
    epoch: number,
    jkt: string | undefined,
  ): Promise<RefreshedTokens> {
    const { sessionId, sub } = rotated;
    const claims = await claimsOf(sub);
    const accessToken = issueAccess(sub, sessionId, epoch, rotated.session.createdAt.getTime(), claims, jkt);
    const type = rotated.retried ? 'session.retried' : 'session.rotated';
    emit({ type, at: clock(), sessionId, sub, generation: rotated.generation });
    return { accessToken, refreshToken: rotated.token, session: rotated.session, retried: rotated.retried };
  }

  /** Reuse: the store has revoked the family; kill its live access tokens before answering. */
  async function reuseDetected(
    sessionId: string,
    token: string,
    sub: string | undefined,
    meta: SessionMeta | undefined,
  ): Promise<void> {
    const client = events.enabled ? clientOf(meta) : undefined;
    emit({
      type: 'session.reuse_detected',
      at: clock(),
      sessionId,
      ...(sub === undefined ? {} : { sub }),
      fingerprint: fingerprint(token),
      ...(client === undefined ? {} : { client }),
    });
    try {
      await endSession(sessionId, 'reuse', sub, { inStore: true });
    } catch (error) {
      // Loud, never silent: the caller gets ERR_UNAVAILABLE (HTTP 503), the event above still fired.
      throw error instanceof TesseraError
        ? error
        : new UnavailableError('could not revoke the access tokens of a reused session', {
            sessionId,
            cause: scrubbedCause(error),
          });
    }
  }

  /** Asks the policy (or takes the default) and reports the anomaly; resolves what was decided. */
  async function decide(signal: AnomalySignal, byDefault: PolicyDecision): Promise<PolicyDecision> {
    let decision = byDefault;
    if (policy?.anomaly !== undefined) {
      try {
        decision = (await policy.anomaly(signal)) === 'revoke' ? 'revoke' : 'allow';
      } catch {
        decision = 'revoke'; // Security: a policy that cannot decide does not wave a suspicious session through.
      }
    }
    emit({ type: 'session.anomaly', at: clock(), ...signal, decision });
    return decision;
  }

  /**
   * A bound session's genuine refresh token without a proof by its key: someone holds the token
   * but not the key, the theft DPoP exists to defeat. By default the session ends (the owner signs
   * in again); the refusal stands whatever the policy decides.
   */
  async function screenKeyMismatch(sessionId: string, sub: string, current: SessionMeta): Promise<void> {
    const stored = (await refresh.list(sub).catch(() => [])).find((s) => s.sessionId === sessionId);
    const signal = { sessionId, sub, changed: ['dpopKey'] as const, previous: stored?.meta ?? {}, current };
    if ((await decide(signal, 'revoke')) !== 'revoke') return;
    // The store first: its access tokens are revoked only if this call ended a live session. A thief
    // replaying the token (the key check comes before the revoked one) adds nothing to the denylist.
    if (await refresh.revoke(sessionId, 'policy', { owner: sub })) {
      await endSession(sessionId, 'policy', sub, { inStore: true });
    }
  }

  async function screenAnomaly(
    sessionId: string,
    sub: string,
    previous: SessionMeta,
    current: SessionMeta,
    token: string,
  ): Promise<void> {
    const changed = changedMeta(previous, current);
    if (changed.length === 0) return;
    const decision = await decide({ sessionId, sub, changed, previous, current }, 'allow');
    if (decision === 'revoke') {
      await endSession(sessionId, 'policy', sub);
      const error = new SessionRevokedError('the session was revoked', { reason: 'policy', sessionId, sub });
      rejected('refresh', token, error, current);
      throw error;
    }
  }

  async function verify(token: string, verifyOptions?: SessionVerifyOptions) {
    try {
      // Forwarded (but the client): core refuses junk options (ERR_CONFIG) rather than skipping a check.
      const claims = await access.verify(token, coreOptions(verifyOptions));
      requireSessionClaims(claims);
      // The denylist check runs here whether or not `access` was built with it (then it is cheap twice).
      try {
        denylist.check(claims);
      } catch (error) {
        throw withSubject(error, claims.sub);
      }
      return claims;
    } catch (error) {
      rejected('access', token, error, verifyOptions?.client);
      if (error instanceof TesseraError) throw error;
      throw new UnavailableError('the access token could not be verified', {
        reason: 'internal',
        cause: scrubbedCause(error),
      });
    }
  }

  async function logout(refreshTokenOrSessionId: string): Promise<boolean> {
    const sessionId = refresh.sessionIdOf(refreshTokenOrSessionId) ?? plainSessionId(refreshTokenOrSessionId);
    return endSession(sessionId, 'logout', undefined);
  }

  async function logoutEverywhere(sub: string) {
    await revokeUser(sub, 'logout_everywhere', false);
    const revoked = await endAllSessions(sub, 'logout_everywhere');
    return { revoked };
  }

  async function credentialsChanged(
    sub: string,
    changeOptions: { keep?: string; revokeSessions?: boolean } = {},
  ): Promise<CredentialsChangedResult> {
    if (changeOptions.revokeSessions === false) {
      await revokeUser(sub, 'credentials_changed', true);
      return { revoked: [] };
    }
    const kept =
      changeOptions.keep === undefined
        ? undefined
        : (await refresh.list(sub)).find((session) => session.sessionId === changeOptions.keep);
    await revokeUser(sub, 'credentials_changed', false);
    const revoked = await endAllSessions(sub, 'credentials_changed');
    if (kept === undefined) return { revoked };
    // The device that made the change goes on in a new session (rotation on credential change).
    return { revoked, kept: await login(sub, { meta: kept.meta }) };
  }

  async function privilegesChanged(sub: string): Promise<void> {
    await revokeUser(sub, 'privileges_changed', true);
  }

  async function list(sub: string): Promise<readonly SessionInfo[]> {
    const [sessions, { sessionFloor }] = await Promise.all([refresh.list(sub), denylist.epochs(sub)]);
    // Sessions below the floor are over (they end at their next refresh): never show them as live.
    return sessions.filter((session) => (session.epoch ?? 0) >= sessionFloor);
  }

  async function revokeSession(sessionId: string, options: { owner?: string } = {}): Promise<boolean> {
    const id = plainSessionId(sessionId);
    if (options.owner === undefined) return endSession(id, 'revoked', undefined);
    // The store proves ownership and ends the session in one step; only then are its tokens killed
    // (never another user's on the strength of an id).
    if (!(await refresh.revoke(id, 'revoked', { owner: options.owner }))) return false;
    return endSession(id, 'revoked', options.owner, { inStore: true });
  }

  return Object.freeze({
    login,
    refresh: refreshTokens,
    verify,
    logout,
    logoutEverywhere,
    credentialsChanged,
    privilegesChanged,
    list,
    revokeSession,
    status() {
      const denylistStatus = denylist.status();
      return { ready: denylistStatus.ready, denylist: denylistStatus };
    },
  } satisfies Sessions);
}

/** A genuine refresh token of a bound session without a proof by its key (the store named the user). */
function isKeyMismatch(error: unknown): error is TesseraError & { sessionId: string; sub: string } {
  return (
    error instanceof TesseraError &&
    error.code === 'ERR_DPOP_PROOF' &&
    (error.reason === 'key_mismatch' || error.reason === 'proof_required') &&
    error.sessionId !== undefined &&
    error.sub !== undefined
  );
}

function isStoreBehind(error: unknown): error is TesseraError {
  return (
    error instanceof TesseraError &&
    error.code === 'ERR_SESSION_REVOKED' &&
    error.reason === 'store_behind' &&
    error.sessionId !== undefined
  );
}

function summary(session: SessionInfo): SessionSummary {
  const { meta: _meta, ...rest } = session;
  return rest;
}

/** Security: only tokens minted for a session (with `sid` and `epoch`) are session access tokens. */
function requireSessionClaims(claims: AccessTokenClaims): asserts claims is SessionAccessClaims {
  if (typeof claims.sid !== 'string' || typeof claims.epoch !== 'number') {
    throw new TokenClaimsError('the access token does not belong to a session', {
      reason: 'not_a_session_token',
      claim: typeof claims.sid !== 'string' ? 'sid' : 'epoch',
    });
  }
}

function plainSessionId(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_SESSION_ID ||
    value.includes('.')
  ) {
    throw new RefreshInvalidError('not a refresh token or a session id', { reason: 'malformed' });
  }
  return value;
}

/** What core's verify takes of the options: all but the client (which only events read). */
function coreOptions(verifyOptions: SessionVerifyOptions | undefined) {
  if (verifyOptions === undefined || verifyOptions.client === undefined) return verifyOptions;
  // No options at all when only the client was given: core then runs no options check.
  const { scope, dpop } = verifyOptions;
  if (dpop === undefined) return scope === undefined ? undefined : { scope };
  return scope === undefined ? { dpop } : { scope, dpop };
}
