/**
 * `@tessera/refresh`: rotating one-time refresh tokens with reuse detection and family revocation.
 * The Redis store is at `@tessera/refresh/redis`.
 * @packageDocumentation
 */
export {
  createRefreshTokens,
  type IssuedRefreshToken,
  type IssueRefreshInput,
  type RefreshTokens,
  type RefreshTokensOptions,
  type RotatedRefreshToken,
  type RotateRefreshOptions,
  type SessionInfo,
} from './create-refresh-tokens.js';
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export type {
  RefreshStore,
  RotatedSession,
  RotateOutcome,
  RotateRequest,
  SessionMeta,
  SessionRecord,
} from './store.js';
