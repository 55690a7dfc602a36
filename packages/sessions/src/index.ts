/**
 * `@tessera/sessions`: the whole session lifecycle (login, rotation, logout on one device or
 * everywhere, credential and privilege changes, devices page, lifecycle events), composed from
 * `@tessera/core`, `@tessera/refresh` and `@tessera/denylist`.
 * @packageDocumentation
 */
export { createSessions } from './create-sessions.js';
export type {
  AnomalySignal,
  ClaimsResolver,
  CredentialsChangedResult,
  CustomClaims,
  DpopPresentation,
  EventClient,
  LoginOptions,
  PolicyDecision,
  RefreshedTokens,
  RefreshOptions,
  SessionAccessClaims,
  SessionClaims,
  SessionEndReason,
  SessionEvent,
  SessionEventType,
  SessionPolicy,
  SessionSummary,
  Sessions,
  SessionsOptions,
  SessionsStatus,
  SessionTokens,
  SessionVerifyOptions,
  UserRevokeReason,
} from './types.js';
