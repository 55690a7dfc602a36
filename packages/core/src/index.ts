/**
 * `@tessera/core`: strict, fast JWT access tokens (RFC 9068 profile).
 *
 * The public surface is exactly what this file exports; everything under `lib/` is private.
 * @packageDocumentation
 */
export { createAccessTokens } from './create-access-tokens.js';
export { createDpopNonces, type DpopNonces, type DpopNoncesOptions } from './create-dpop-nonces.js';
export {
  createDpopVerifier,
  type DpopAlgorithm,
  type DpopRequest,
  type DpopVerifier,
  type DpopVerifierOptions,
  type ReplayCache,
  type VerifiedDpopProof,
} from './create-dpop-verifier.js';
export {
  createRemoteJwks,
  type FetchAnswer,
  type FetchFunction,
  type RemoteJwks,
  type RemoteJwksOptions,
  type RemoteJwksStatus,
} from './create-remote-jwks.js';
export {
  ConfigError,
  DpopProofError,
  isTesseraError,
  RefreshExpiredError,
  RefreshInvalidError,
  RefreshReusedError,
  SessionRevokedError,
  TesseraError,
  type TesseraErrorCode,
  type TesseraErrorDetails,
  TokenClaimsError,
  TokenExpiredError,
  TokenMalformedError,
  TokenNotYetValidError,
  TokenRevokedError,
  TokenScopeError,
  TokenSignatureError,
  UnavailableError,
} from './errors.js';
export { type GenerateSigningKeyOptions, generateSigningKey } from './generate-signing-key.js';
export {
  type KeyRotation,
  type RotationPhase,
  type RotationTimings,
  type RotationWaits,
  rotationKeys,
  rotationWaits,
} from './key-rotation.js';
export type { Algorithm } from './lib/algorithms.js';
export type {
  AccessTokenClaims,
  AccessTokens,
  AccessTokensOptions,
  IssuedAccessToken,
  IssueInput,
  JsonValue,
  Jwk,
  JwkSet,
  KeysOption,
  RevocationCheck,
  VerifyOptions,
  VerifyProfile,
} from './types.js';
