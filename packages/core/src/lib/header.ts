import { TokenClaimsError, TokenMalformedError, TokenSignatureError } from '../errors.js';
import { isCanonicalBase64url } from './base64url.js';
import type { KeyEntry, KeySet } from './key-set.js';
import { platform } from './platform/index.js';
import { parseStrictJsonObject } from './strict-json.js';

/** Header parameters we accept. Security: `jwk`, `jku`, `x5u`, `x5c` would let the token pick its own key; `crit`, `b64`, `zip` change how the token is processed. All are refused. */
const ALLOWED_PARAMETERS = new Set(['alg', 'kid', 'typ']);
/** RFC 9068 section 4: `at+jwt`, also as the full media type; media types compare case-insensitively. */
const ACCEPTED_TYP = new Set(['at+jwt', 'application/at+jwt']);
const HEADER_CACHE_ENTRIES = 64;

/** Resolves a token header segment to the key that must verify it. Throws a TesseraError. */
export type HeaderResolver = (segment: string) => KeyEntry;

/**
 * Creates a resolver with a small cache of header segments already resolved: nearly every token an
 * instance sees carries one of a handful of identical headers. Only headers that fully validated are
 * cached, and the key set never changes for an instance, so a cached answer stays right.
 */
export function createHeaderResolver(keys: KeySet): HeaderResolver {
  const cache = new Map<string, KeyEntry>();
  return (segment) => {
    const cached = cache.get(segment);
    if (cached !== undefined) return cached;
    const entry = resolveHeader(segment, keys);
    if (cache.size >= HEADER_CACHE_ENTRIES) cache.clear();
    cache.set(segment, entry);
    return entry;
  };
}

function resolveHeader(segment: string, keys: KeySet): KeyEntry {
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
    if (!ALLOWED_PARAMETERS.has(name)) {
      throw new TokenMalformedError(`header parameter "${printable(name)}" is not accepted`, {
        reason: 'header_parameter',
        claim: printable(name),
      });
    }
  }
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string') {
    throw new TokenMalformedError('the token header has no "alg"', { reason: 'alg_missing', claim: 'alg' });
  }
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new TokenMalformedError('the token header has no "kid"', { reason: 'kid_missing', claim: 'kid' });
  }
  if (typeof typ !== 'string' || !ACCEPTED_TYP.has(typ.toLowerCase())) {
    throw new TokenClaimsError('the token is not an access token (typ must be "at+jwt")', {
      reason: 'typ',
      claim: 'typ',
    });
  }
  const entry = keys.byKid.get(kid);
  if (entry === undefined) {
    throw new TokenSignatureError('no key with the token\'s "kid"', { reason: 'kid_unknown', claim: 'kid' });
  }
  // Security: the key decides the algorithm, never the token. `none`, HS256 against a public key and
  // any other mismatch stop here.
  if (alg !== entry.alg) {
    throw new TokenSignatureError(`algorithm "${printable(alg)}" is not allowed for this key`, {
      reason: 'alg_not_allowed',
      claim: 'alg',
    });
  }
  return entry;
}

/** A short, printable rendering of an attacker-chosen name for an error message. */
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 32 ? `${clean.slice(0, 32)}...` : clean;
}
