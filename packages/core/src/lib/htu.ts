/** RFC 3986 section 2.3: the unreserved characters, which percent-encoding must not change. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * A request URI as RFC 9449 section 4.3 compares `htu`: without query and fragment, after the
 * syntax- and scheme-based normalisation of RFC 3986 sections 6.2.2 and 6.2.3 (lower-case scheme and
 * host, no default port, an empty path as `/`, upper-case percent-encodings, unreserved characters
 * decoded, dot segments removed). Undefined for anything that is not an absolute http(s) URI.
 */
export function normalizeHtu(text: string): string | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 4096) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  // The URL parser lower-cases scheme and host, drops the default port and dot segments, and gives an
  // empty path as "/"; percent-encodings are left as written, so normalise them here.
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}
