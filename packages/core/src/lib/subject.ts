import { TesseraError } from '../errors.js';

/** Longest subject copied onto an error (a longer one is still refused, just not named). */
const MAX_NAMED_SUBJECT = 1024;

/**
 * `error`, naming the subject of the authentic token it refuses (see TesseraErrorDetails.sub).
 * Called only after the signature verified, so the subject is never an attacker's word; the error
 * keeps a subject it already names.
 */
export function withSubject(error: unknown, sub: unknown): unknown {
  if (
    error instanceof TesseraError &&
    error.sub === undefined &&
    typeof sub === 'string' &&
    sub.length > 0 &&
    sub.length <= MAX_NAMED_SUBJECT
  ) {
    (error as { sub: string | undefined }).sub = sub;
  }
  return error;
}
