import { TokenClaimsError, TokenMalformedError } from '../errors.js';
import { isCanonicalBase64url } from './base64url.js';
import type { KeyEntry, KeyRing } from './key-set.js';
import { platform } from './platform/index.js';
import { parseStrictJsonObject } from './strict-json.js';

/**
 * Header parameters we read. Security: `jwk`, `jku`, `x5u`, `x5c` would let the token pick its own key;
 * `crit`, `b64`, `zip` change how the token is processed. All are refused.
 */
const READ_PARAMETERS = new Set(['alg', 'kid', 'typ']);
/**
 * Header parameters other issuers send that we accept and ignore (Entra ID, Keycloak): certificate
 * thumbprints. Security: never used to find or to trust a key; the key is found by `kid` (or `alg`)
 * in our own set, and checked to be a string so a hostile value cannot reach anything.
 */
const IGNORED_PARAMETERS = new Set(['x5t', 'x5t#S256']);
/** RFC 9068 section 4: `at+jwt`, also as the full media type; media types compare case-insensitively. */
export const ACCESS_TOKEN_TYP: readonly string[] = ['at+jwt', 'application/at+jwt'];
const HEADER_CACHE_ENTRIES = 64;

/** Resolves a token header segment to the key that must verify it. Throws a TesseraError. */
export type HeaderResolver = (segment: string) => KeyEntry;

/**
 * Creates a resolver with a small cache of header segments already resolved: nearly every token an
 * instance sees carries one of a handful of identical headers. Only headers that fully validated are
 * cached, and the cache is dropped whenever the key ring changes (a remote set refreshed), so a
 * cached answer stays right. `acceptedTyp` holds lower-case `typ` values.
 */
export function createHeaderResolver(keys: KeyRing, acceptedTyp: ReadonlySet<string>): HeaderResolver {
  const cache = new Map<string, KeyEntry>();
  let version = keys.version;
  return (segment) => {
    if (keys.version !== version) {
      cache.clear();
      version = keys.version;
    }
    const cached = cache.get(segment);
    if (cached !== undefined) return cached;
    const entry = resolveHeader(segment, keys, acceptedTyp);
    if (cache.size >= HEADER_CACHE_ENTRIES) cache.clear();
    cache.set(segment, entry);
    return entry;
  };
}

function resolveHeader(segment: string, keys: KeyRing, acceptedTyp: ReadonlySet<string>): KeyEntry {
  if (!isCanonicalBase64url(segment)) {
    throw new TokenMalformedError('the token header is not canonical base64url', {
      reason: 'header_encoding',
    });
  }
  const parsed = parseStrictJsonObject(platform.bytes.fromBase64url(segment));
  if (!parsed.ok) {
    throw new TokenMalformedError(`the token header is not a strict JSON object (${parsed.failure})`, {
      reason: `header_${parsed.failure}`,
    });
  }
  const header = parsed.value;
  for (const name of Object.keys(header)) {
    if (READ_PARAMETERS.has(name)) continue;
    if (IGNORED_PARAMETERS.has(name) && typeof header[name] === 'string') continue;
    throw new TokenMalformedError(`header parameter "${printable(name)}" is not accepted`, {
      reason: 'header_parameter',
      claim: printable(name),
    });
  }
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string') {
    throw new TokenMalformedError('the token header has no "alg"', { reason: 'alg_missing', claim: 'alg' });
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    throw new TokenMalformedError('the token header\'s "kid" is not a non-empty string', {
      reason: 'kid_missing',
      claim: 'kid',
    });
  }
  if (typeof typ !== 'string' || !acceptedTyp.has(typ.toLowerCase())) {
    throw new TokenClaimsError('the token is not an access token (typ must be "at+jwt")', {
      reason: 'typ',
      claim: 'typ',
    });
  }
  return keys.find(alg, kid);
}

/** A short, printable rendering of an attacker-chosen name for an error message. */
export function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean;
}
