import { ConfigError, type TesseraError, UnavailableError } from '../errors.js';
import type { Jwk } from '../types.js';
import { ALGORITHMS, type Algorithm } from './algorithms.js';
import { printable } from './header.js';
import { hasPrivateMember, publicMembersOf } from './jwk-members.js';
import { importKey, type KeyEntry, type RemoteEntries } from './key-set.js';
import { platform } from './platform/index.js';
import { parseStrictJsonObject } from './strict-json.js';

/** The most keys a remote set may hold; more is a malformed set (real issuers publish two to five). */
export const MAX_REMOTE_KEYS = 100;

/** What a download answered, as a remote set reads it (a Fetch `Response` fits). */
export interface FetchAnswer {
  /** The HTTP status; only 200 is a JWK Set. */
  readonly status: number;
  /** The response headers (`cache-control`, `age`, `content-length` are read). */
  readonly headers: {
    /** A header's value, case-insensitive, or null. */
    get(name: string): string | null;
  };
  /** The body, read up to `maxBytes`. */
  readonly body: ReadableStream<Uint8Array> | null;
}

/** The fetch a remote set uses (`globalThis.fetch` by default). */
export type FetchFunction = (
  url: string,
  init: {
    /** Aborts the download (headers and body) at `timeoutMs`. */
    readonly signal: AbortSignal;
    /** `accept`, and the `headers` option. */
    readonly headers: Readonly<Record<string, string>>;
    /**
     * Redirects are not followed: a key set comes from the address configured, nowhere else. A
     * redirect answers 3xx (0 in browsers), which is not a 200, so the download fails. (`manual`, as
     * workerd implements no `error`.)
     */
    readonly redirect: 'manual';
  },
) => Promise<FetchAnswer>;

/** Settings of a source, validated by `createRemoteJwks`. Times in ms. */
export interface SourceSettings {
  readonly url: string;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly minCacheMs: number;
  readonly maxCacheMs: number;
  readonly defaultCacheMs: number;
  readonly cooldownMs: number;
  readonly staleMs: number;
  readonly rsaAlgorithm: 'RS256' | 'PS256' | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly fetch: FetchFunction;
  readonly clock: () => number;
}

/** What happened to the last attempt to refresh. */
export type RefetchOutcome = 'refetched' | 'cooldown' | 'failed';

/** Why a download or a key was refused; stable words for warnings and `status()`. */
type Failure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'too_large'
  | 'json'
  | 'shape'
  | 'too_many_keys'
  | 'no_usable_keys';

class DownloadError extends Error {
  constructor(readonly failure: Failure) {
    super(failure);
  }
}

/**
 * One remote JWK Set: its keys, its cache lifetime and its refresh policy.
 *
 * - Fresh until the `Cache-Control` max-age of the last good answer (clamped to the configured
 *   bounds); then refreshed in the background while its keys go on verifying.
 * - Usable for `staleMs` past freshness when the issuer cannot be reached; past that, or before the
 *   first good answer, verify answers `ERR_UNAVAILABLE` (503), never a 401.
 * - At most one download in flight, and at most one started per cool-down, whatever asks for it (the
 *   schedule, an unknown `kid`, a flood of them).
 */
export class RemoteKeySource implements RemoteEntries {
  version = 0;
  entries: ReadonlyMap<string, KeyEntry> = new Map();
  /** Verify calls {@link maintain} once the clock reaches this. */
  checkAt = 0;
  private freshUntil = 0;
  private usableUntil = 0;
  private fetchedAt: number | undefined;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<RefetchOutcome> | undefined;
  private lastFailure: Failure | undefined;
  private downloads = 0;
  private failures = 0;
  private readonly warned = new Set<string>();

  constructor(readonly settings: SourceSettings) {}

  /**
   * Called by verify once the clock passes {@link checkAt}: starts a background refresh of a set past
   * its freshness, and answers a promise to wait on only when no key is usable (first use, or stale
   * past the bound). The promise rejects with `ERR_UNAVAILABLE` when there is still none.
   */
  maintain(): Promise<void> | undefined {
    const now = this.settings.clock();
    if (now < this.freshUntil) {
      this.checkAt = this.freshUntil;
      return undefined;
    }
    if (now < this.usableUntil) {
      void this.attempt(now);
      // Look again when a refresh may start, or the keys stop being usable.
      this.checkAt = Math.min(this.usableUntil, this.lastAttempt + this.settings.cooldownMs);
      return undefined;
    }
    return this.waitForKeys(now);
  }

  /** Refetches for a `kid` (or an algorithm) the set lacks, within the cool-down. */
  refetchForUnknownKey(): Promise<RefetchOutcome> {
    return this.attempt(this.settings.clock());
  }

  /** True when the last download failed (the issuer is unreachable or answers nonsense). */
  get failing(): boolean {
    return this.lastFailure !== undefined;
  }

  /** Downloads now, whatever the cool-down; rejects with `ERR_UNAVAILABLE` if it fails. */
  async refreshNow(): Promise<void> {
    if ((await this.attempt(this.settings.clock(), true)) !== 'refetched') throw this.unavailable();
  }

  status(): RemoteJwksStatus {
    const now = this.settings.clock();
    return {
      url: this.settings.url,
      kids: [...this.entries.keys()],
      fetchedAt: this.fetchedAt,
      fresh: now < this.freshUntil,
      usable: now < this.usableUntil,
      freshUntil: this.fetchedAt === undefined ? undefined : this.freshUntil,
      usableUntil: this.fetchedAt === undefined ? undefined : this.usableUntil,
      downloads: this.downloads,
      failures: this.failures,
      lastFailure: this.lastFailure,
    };
  }

  /** The error verify answers when no key can be had. */
  unavailable(): TesseraError {
    return new UnavailableError(
      `the issuer's key set cannot be fetched (${this.lastFailure ?? 'cool-down'}) and no usable keys are cached`,
      { reason: 'jwks_unavailable' },
    );
  }

  private async waitForKeys(now: number): Promise<void> {
    await this.attempt(now);
    if (!(this.settings.clock() < this.usableUntil)) throw this.unavailable();
    this.checkAt = this.freshUntil;
  }

  /** A download, shared with one in flight; within the cool-down none starts (unless `force`d by the operator). */
  private attempt(now: number, force = false): Promise<RefetchOutcome> {
    if (this.inflight !== undefined) return this.inflight;
    // Security: the cool-down bounds what any number of requests can make us send to the issuer.
    if (!force && now < this.lastAttempt + this.settings.cooldownMs) return Promise.resolve('cooldown');
    this.lastAttempt = now;
    this.inflight = this.download().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async download(): Promise<RefetchOutcome> {
    this.downloads += 1;
    try {
      const { body, lifetimeMs } = await this.fetchSet();
      const entries = await this.importSet(body);
      if (entries.size === 0) throw new DownloadError('no_usable_keys');
      const now = this.settings.clock();
      this.entries = entries;
      this.version += 1;
      this.fetchedAt = now;
      this.freshUntil = now + lifetimeMs;
      this.usableUntil = this.freshUntil + this.settings.staleMs;
      this.checkAt = this.freshUntil;
      this.lastFailure = undefined;
      return 'refetched';
    } catch (error) {
      this.failures += 1;
      this.lastFailure = error instanceof DownloadError ? error.failure : 'network';
      this.warnOnce(
        `download:${this.lastFailure}`,
        `tessera: the remote JWK Set ${this.settings.url} could not be refreshed (${this.lastFailure}); cached keys stay usable until ${this.fetchedAt === undefined ? 'never (none cached)' : new Date(this.usableUntil).toISOString()}`,
        'TESSERA_JWKS_UNAVAILABLE',
      );
      return 'failed';
    }
  }

  private async fetchSet(): Promise<{ body: Record<string, unknown>; lifetimeMs: number }> {
    const { url, timeoutMs, maxBytes, headers } = this.settings;
    let answer: FetchAnswer;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      answer = await this.settings.fetch(url, { signal, headers, redirect: 'manual' });
    } catch {
      // The platform's message may quote the URL's credentials or the peer: keep our own word.
      throw new DownloadError(signal.aborted ? 'timeout' : 'network');
    }
    if (answer.status !== 200) {
      await answer.body?.cancel().catch(() => undefined);
      throw new DownloadError('status');
    }
    const declared = Number(answer.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      await answer.body?.cancel().catch(() => undefined);
      throw new DownloadError('too_large');
    }
    const bytes = await readCapped(answer.body, maxBytes, signal);
    const parsed = parseStrictJsonObject(bytes);
    if (!parsed.ok) throw new DownloadError('json');
    return { body: parsed.value, lifetimeMs: this.lifetime(answer.headers) };
  }

  /** The cache lifetime of an answer: its `max-age` less its `Age`, within the configured bounds. */
  private lifetime(headers: FetchAnswer['headers']): number {
    const { minCacheMs, maxCacheMs, defaultCacheMs } = this.settings;
    const control = (headers.get('cache-control') ?? '').toLowerCase();
    let ms = defaultCacheMs;
    if (/(^|[,\s])(no-store|no-cache)($|[,\s=])/.test(control)) ms = minCacheMs;
    else {
      const match = /(^|[,\s])max-age\s*=\s*"?(\d{1,10})"?/.exec(control);
      if (match !== null) {
        const age = Number(/^\d{1,10}$/.exec((headers.get('age') ?? '').trim())?.[0] ?? '0');
        ms = Math.max(0, Number(match[2]) - age) * 1000;
      }
    }
    return Math.min(maxCacheMs, Math.max(minCacheMs, ms));
  }

  /** The usable keys of a set; every other key is skipped with a warning, never fatal for the set. */
  private async importSet(body: Record<string, unknown>): Promise<Map<string, KeyEntry>> {
    const keys = body['keys'];
    if (!Array.isArray(keys)) throw new DownloadError('shape');
    if (keys.length > MAX_REMOTE_KEYS) throw new DownloadError('too_many_keys');
    const entries = new Map<string, KeyEntry>();
    const seen = new Set<string>();
    for (const [index, member] of (keys as unknown[]).entries()) {
      const verdict = this.usableJwk(member);
      const kid = typeof (member as { kid?: unknown })?.kid === 'string' ? (member as Jwk).kid : `#${index}`;
      if (typeof verdict === 'string') {
        this.skip(kid, verdict);
      } else if (seen.has(verdict.kid)) {
        this.skip(kid, 'duplicate_kid');
      } else {
        seen.add(verdict.kid);
        try {
          // Node imports now; WebCrypto answers a promise.
          entries.set(verdict.kid, await importKey(verdict, 'verify', `jwks.keys.${index}`));
        } catch (error) {
          this.skip(kid, error instanceof ConfigError ? (error.reason ?? 'invalid_jwk') : 'invalid_jwk');
        }
      }
    }
    return entries;
  }

  /** The JWK to import (public members, a `kid` and an `alg`), or why the member is skipped. */
  private usableJwk(member: unknown): Jwk | string {
    if (typeof member !== 'object' || member === null || Array.isArray(member)) return 'not_an_object';
    const jwk = member as Record<string, unknown>;
    const { kty, kid, use, key_ops: ops, crv } = jwk;
    if (kty === 'oct') return 'symmetric';
    if (kty !== 'OKP' && kty !== 'EC' && kty !== 'RSA') return 'key_type';
    if (typeof kid !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(kid)) return 'no_kid';
    if (use !== undefined && use !== 'sig') return 'key_use';
    if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return 'key_ops';
    // Security: the issuer published a private key; whoever read the set can sign with it.
    if (hasPrivateMember(jwk)) return 'private_key';
    const alg = this.algorithmOf(jwk.alg, kty, crv);
    if (alg === undefined) return jwk.alg === undefined ? 'no_alg' : 'alg';
    const members = publicMembersOf(jwk);
    if (members === undefined) return 'invalid_jwk';
    return { ...members, kid, alg, use: 'sig' } as unknown as Jwk;
  }

  /**
   * The key's algorithm: its own `alg` when it is one we verify, else what its type implies where only
   * one algorithm fits (Ed25519, P-256). An RSA key without `alg` fits RS256 and PS256 alike: it is used
   * only when the `rsaAlgorithm` option says which.
   */
  private algorithmOf(alg: unknown, kty: string, crv: unknown): Algorithm | undefined {
    if (alg !== undefined) {
      return typeof alg === 'string' && alg !== 'HS256' && (ALGORITHMS as readonly string[]).includes(alg)
        ? (alg as Algorithm)
        : undefined;
    }
    if (kty === 'OKP' && crv === 'Ed25519') return 'EdDSA';
    if (kty === 'EC' && crv === 'P-256') return 'ES256';
    if (kty === 'RSA') return this.settings.rsaAlgorithm;
    return undefined;
  }

  private skip(kid: string, reason: string): void {
    this.warnOnce(
      `key:${kid}:${reason}`,
      `tessera: the remote JWK Set ${this.settings.url}: key "${printable(kid)}" skipped (${reason})`,
      'TESSERA_JWKS_KEY_SKIPPED',
    );
  }

  private warnOnce(id: string, message: string, code: string): void {
    if (this.warned.has(id)) return;
    if (this.warned.size > 1000) this.warned.clear();
    this.warned.add(id);
    platform.warn(message, code);
  }
}

/** What `RemoteJwks.status()` reports. */
export interface RemoteJwksStatus {
  /** The set's URL. */
  readonly url: string;
  /** The kids of the usable keys. */
  readonly kids: readonly string[];
  /** When the last good answer arrived (ms), undefined before the first. */
  readonly fetchedAt: number | undefined;
  /** True while the cache lifetime of the last good answer runs. */
  readonly fresh: boolean;
  /** True while the keys may verify (fresh, or stale within `staleFor`). */
  readonly usable: boolean;
  /** End of freshness (ms). */
  readonly freshUntil: number | undefined;
  /** End of usability (ms): past it, verify answers `ERR_UNAVAILABLE` until a download succeeds. */
  readonly usableUntil: number | undefined;
  /** Downloads started. */
  readonly downloads: number;
  /** Downloads that failed. */
  readonly failures: number;
  /** Why the last download failed, undefined when it succeeded. */
  readonly lastFailure: string | undefined;
}

/** Reads a body up to `maxBytes`; more is `too_large`, and the stream is cancelled. */
async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new DownloadError('too_large');
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw new DownloadError(signal.aborted ? 'timeout' : 'network');
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
