import * as z from 'zod/mini';
import { ConfigError } from './errors.js';
import { checkedClock } from './lib/clock.js';
import { clockOption, functionOption, optionsError } from './lib/option-schemas.js';
import {
  type FetchAnswer,
  type FetchFunction,
  type RemoteJwksStatus,
  RemoteKeySource,
} from './lib/remote-jwks.js';

export type { FetchAnswer, FetchFunction, RemoteJwksStatus };

/** Options of {@link createRemoteJwks}; validated once (`ERR_CONFIG`). Times in seconds unless named. */
export interface RemoteJwksOptions {
  /** Longest wait for one download, headers and body, in milliseconds. Default 5000, at most 60,000. */
  readonly timeoutMs?: number;
  /** Largest body accepted, in bytes. Default 65,536, at most 1 MiB. */
  readonly maxBytes?: number;
  /** Shortest cache lifetime, whatever `Cache-Control` says (also for `no-store`). Default 60. */
  readonly minCacheAge?: number;
  /** Longest cache lifetime, whatever `Cache-Control` says. Default 3600. */
  readonly maxCacheAge?: number;
  /** Cache lifetime of an answer without `max-age`. Default 600 (within the bounds). */
  readonly defaultCacheAge?: number;
  /**
   * Least time between two downloads, whatever asks for them (an unknown `kid`, the schedule).
   * Default 30, at most `minCacheAge`.
   */
  readonly cooldown?: number;
  /**
   * How long past its cache lifetime a set keeps verifying while the issuer cannot be reached. Past
   * it verify answers `ERR_UNAVAILABLE` until a download succeeds. Default 86,400 (one day), at most
   * seven days; 0 stops at the cache lifetime.
   */
  readonly staleFor?: number;
  /**
   * The algorithm of RSA keys that carry no `alg` (Entra ID publishes them so). Without it such keys
   * are skipped: RS256 and PS256 both fit an RSA key, and the token must never choose.
   */
  readonly rsaAlgorithm?: 'RS256' | 'PS256';
  /** Extra request headers (an API key of a private gateway, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use. Default `globalThis.fetch`. */
  readonly fetch?: FetchFunction;
  /** Current time in ms. Default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * A remote JWK Set, for `createAccessTokens({ keys: { remote } })`. One set may serve several
 * instances (one per audience, say); each download is shared.
 */
export interface RemoteJwks {
  /** The set's URL. */
  readonly url: string;
  /**
   * Downloads the set now, whatever the cool-down (at start-up, to fail fast); rejects with
   * `ERR_UNAVAILABLE` when the download fails or holds no usable key.
   */
  refresh(): Promise<void>;
  /** The cache state: kids, freshness, downloads and the last failure. */
  status(): RemoteJwksStatus;
}

const seconds = (max: number) => z.number().check(z.minimum(0), z.maximum(max));
const integer = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));

const schema = z.strictObject({
  timeoutMs: z._default(integer(100, 60_000), 5000),
  maxBytes: z._default(integer(1024, 1_048_576), 65_536),
  minCacheAge: z._default(seconds(86_400), 60),
  maxCacheAge: z._default(seconds(604_800), 3600),
  defaultCacheAge: z._default(seconds(604_800), 600),
  cooldown: z._default(z.number().check(z.minimum(1), z.maximum(3600)), 30),
  staleFor: z._default(seconds(604_800), 86_400),
  rsaAlgorithm: z.optional(z.enum(['RS256', 'PS256'])),
  headers: z._default(
    z.record(z.string().check(z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)), z.string().check(z.maxLength(8192))),
    {},
  ),
  fetch: z.optional(functionOption<FetchFunction>('fetch')),
  clock: clockOption,
});

/** The sources behind the public handles, for `createAccessTokens`. */
const sources = new WeakMap<RemoteJwks, RemoteKeySource>();

/** The source behind a handle from {@link createRemoteJwks}, or undefined for anything else. */
export function sourceOf(value: unknown): RemoteKeySource | undefined {
  return typeof value === 'object' && value !== null ? sources.get(value as RemoteJwks) : undefined;
}

/**
 * A remote JWK Set for a verify-only instance (a resource server): downloaded with a timeout and a
 * size cap, validated key by key (unusable keys are skipped with a warning), cached by
 * `Cache-Control` within bounds, refreshed in the background, refetched once for an unknown `kid`
 * at most once per cool-down, and failing closed (`ERR_UNAVAILABLE`, a 503) when no usable key is
 * left. Only `https:` URLs, or `http:` on a loopback host. Nothing is fetched until first use (or
 * {@link RemoteJwks.refresh}).
 *
 * @example
 * ```ts
 * const remote = createRemoteJwks('https://auth.example/.well-known/jwks.json');
 * const tokens = createAccessTokens({ issuer: 'https://auth.example', audience: 'api', keys: { remote } });
 * ```
 */
export function createRemoteJwks(url: string | URL, options: RemoteJwksOptions = {}): RemoteJwks {
  const href = checkUrl(url);
  const parsed = z.safeParse(schema, options);
  if (!parsed.success) throw optionsError(parsed.error, 'remote JWK Set options');
  const o = parsed.data;
  if (o.minCacheAge > o.maxCacheAge) {
    throw new ConfigError('remote JWK Set options: minCacheAge exceeds maxCacheAge', {
      reason: 'invalid_options',
      claim: 'minCacheAge',
    });
  }
  if (o.cooldown > Math.max(1, o.minCacheAge)) {
    throw new ConfigError('remote JWK Set options: cooldown exceeds minCacheAge', {
      reason: 'invalid_options',
      claim: 'cooldown',
    });
  }
  const fetchFunction =
    o.fetch ??
    (typeof globalThis.fetch === 'function'
      ? (globalThis.fetch.bind(globalThis) as unknown as FetchFunction)
      : undefined);
  if (fetchFunction === undefined) {
    throw new ConfigError('remote JWK Set: this runtime has no fetch; pass options.fetch', {
      reason: 'no_fetch',
      claim: 'fetch',
    });
  }
  const source = new RemoteKeySource({
    url: href,
    timeoutMs: o.timeoutMs,
    maxBytes: o.maxBytes,
    minCacheMs: o.minCacheAge * 1000,
    maxCacheMs: o.maxCacheAge * 1000,
    defaultCacheMs: o.defaultCacheAge * 1000,
    cooldownMs: o.cooldown * 1000,
    staleMs: o.staleFor * 1000,
    rsaAlgorithm: o.rsaAlgorithm,
    headers: { accept: 'application/jwk-set+json, application/json', ...o.headers },
    fetch: fetchFunction,
    clock: checkedClock(o.clock),
  });
  const handle: RemoteJwks = Object.freeze({
    url: href,
    refresh: () => source.refreshNow(),
    status: () => source.status(),
  });
  sources.set(handle, source);
  return handle;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Security: keys fetched in clear text can be swapped on the way; only loopback may use `http:`. */
function checkUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new ConfigError('remote JWK Set: not a URL', { reason: 'invalid_url', claim: 'url' });
  }
  const loopback = LOOPBACK.has(parsed.hostname) || parsed.hostname.endsWith('.localhost');
  if (!(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback))) {
    throw new ConfigError('remote JWK Set: the URL must be https: (http: only on a loopback host)', {
      reason: 'insecure_url',
      claim: 'url',
    });
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError('remote JWK Set: credentials do not belong in the URL; use options.headers', {
      reason: 'invalid_url',
      claim: 'url',
    });
  }
  parsed.hash = '';
  return parsed.href;
}
