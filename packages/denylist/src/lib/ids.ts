import { TokenClaimsError } from '@tessera/core';
import { isWellFormedId, MAX_ID_LENGTH } from '@tessera/core/internal';

/** A user or session id a revocation can name: the one id rule of every package (core's lib/ids.ts). */
export const isRevocableId = isWellFormedId;

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
