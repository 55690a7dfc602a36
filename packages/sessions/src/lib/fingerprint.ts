import { sha256Name } from '@tessera/core/internal';

/**
 * A short, one-way fingerprint of a token for events and logs: 12 base64url characters (72 bits) of
 * its SHA-256. Enough to correlate two log lines about one token; useless to replay it.
 */
export function fingerprint(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0) return 'none';
  return sha256Name(token, 12);
}
