import { TokenClaimsError } from '@tessera/core';

/** Longest user or session id accepted (a token is at most 8 KiB anyway). */
const MAX_ID_LENGTH = 16_384;

/**
 * A user or session id a revocation can name: a non-empty string of at most 16 KiB with no lone
 * surrogate. Security: UTF-8 turns every lone surrogate into U+FFFD, so two such ids would name one
 * Redis key and one log entry, and a revocation of one would be read back as another id.
 */
export function isRevocableId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && value.isWellFormed()
  );
}

/** Throws ERR_TOKEN_CLAIMS unless `value` is a revocable id. */
export function requireRevocableId(value: unknown, what: 'sub' | 'sid'): string {
  if (!isRevocableId(value)) {
    throw new TokenClaimsError(
      `"${what}" must be a non-empty, well-formed string of at most ${MAX_ID_LENGTH} characters`,
      { reason: 'invalid_input', claim: what },
    );
  }
  return value;
}
