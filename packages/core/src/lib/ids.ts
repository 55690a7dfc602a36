import { platform } from './platform/index.js';

/** Longest user or session id any package accepts (a token is at most 64 KiB anyway). */
export const MAX_ID_LENGTH = 16_384;

/**
 * The rule for a subject or session id, in every package: a non-empty string of at most
 * {@link MAX_ID_LENGTH} characters with no lone surrogate. Security: UTF-8 turns every lone
 * surrogate into U+FFFD, so two such ids would hash to one Redis key (one owner index, one epoch)
 * and a revocation of one would be read back as another.
 */
export function isWellFormedId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && value.isWellFormed()
  );
}

/**
 * A name derived from `text`: the first `chars` base64url characters of its SHA-256 (6 bits each).
 * Any bytes in, a fixed length out, no `{`, `:` or `*` of its own: what enters Redis key names and
 * event fingerprints in place of an id or a token.
 */
export function sha256Name(text: string, chars = 43): string {
  const digest = platform.sha256(text);
  return chars >= 43 ? digest : digest.slice(0, chars);
}
