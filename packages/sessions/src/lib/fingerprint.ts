import { hash } from 'node:crypto';

/**
 * A short, one-way fingerprint of a token for events and logs: 12 base64url characters (72 bits) of
 * its SHA-256. Enough to correlate two log lines about one token; useless to replay it.
 */
export function fingerprint(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0) return 'none';
  return hash('sha256', token, 'base64url').slice(0, 12);
}
