import type { RequestLike } from '../types.js';

/**
 * Cross-site request check for the cookie-authenticated endpoints (after Go's CrossOriginProtection).
 * Browsers send `Sec-Fetch-Site` (and `Origin` on every POST); a request with neither is not from a
 * browser, so no ambient cookie can be abused by it.
 */
export function isCrossSite(request: RequestLike, trustedOrigins: ReadonlySet<string>): boolean {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  const origin = request.headers.get('origin');
  if (origin !== null && trustedOrigins.has(origin)) return false;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null) return site !== 'same-origin' && site !== 'none';
  if (origin === null) return false;
  const host = request.headers.get('host');
  try {
    return host === null || new URL(origin).host !== host.toLowerCase();
  } catch {
    return true; // "null" or garbage: an opaque origin is never our own
  }
}
