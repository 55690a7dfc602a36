import { ConfigError } from '@tessera/core';
import { createDpopProof } from './create-dpop-proof.js';
import type { DpopKey } from './dpop-key.js';
import { refreshRounds } from './refresh-rounds.js';

/** Options of {@link createSessionClient}. */
export interface SessionClientOptions {
  /** The DPoP key (`loadDpopKey()` in a browser). */
  readonly key: DpopKey;
  /** The server's origin, e.g. `https://app.example.com`. Default: the page's own (`location.origin`). */
  readonly origin?: string;
  /** The refresh route of `@tessera/http` (cookie transport). Default `/auth/token/refresh`. */
  readonly refreshPath?: string;
  /**
   * The name of the lock and the channel the origin's tabs share (one refresh at a time across
   * tabs, and its access token for all). Default `tessera`.
   */
  readonly channel?: string;
}

/** A client of a DPoP-bound session, from {@link createSessionClient}. */
export interface SessionClient {
  /**
   * Logs in: POSTs `body` as JSON to `path` with a proof, so the server binds the session to the
   * key (its `sessions.login` gets the proof through `http.dpopOf`). Keeps the access token of a 200.
   */
  login(path: string, body: unknown): Promise<Response>;
  /**
   * A fetch with the session's access token (`Authorization: DPoP`) and a fresh proof. Answers a
   * `use_dpop_nonce` challenge once with the server's nonce, and an `invalid_token` one with one
   * refresh (shared by every tab) and one retry.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * Rotates the refresh cookie for a new access token, with a proof by the key. One refresh at a time
   * across the origin's tabs (Web Locks): a tab that waited takes the token another tab just got.
   * Resolves false when the session is over (the server refused).
   */
  refresh(): Promise<boolean>;
  /** The current access token (shared across tabs), if any. */
  readonly accessToken: string | undefined;
  /** Stops listening to the other tabs. */
  close(): void;
}

type ChannelMessage = { readonly type: 'token'; readonly token: string } | { readonly type: 'ended' };

/**
 * A client for a DPoP-bound session in the browser: the refresh token stays in its `HttpOnly`
 * cookie, the access token in memory, and every request carries a proof by a key that cannot be
 * read out. A copy of both tokens on another device (or browser profile) is useless without the key.
 *
 * @example
 * ```ts
 * const client = createSessionClient({ key: await loadDpopKey() });
 * await client.login('/login', { username, password });
 * const orders = await (await client.fetch('/api/orders')).json();
 * ```
 */
export function createSessionClient(options: SessionClientOptions): SessionClient {
  const { key } = options;
  if (typeof key?.jkt !== 'string' || key.keyPair === undefined) {
    throw new ConfigError('createSessionClient: key must be a DpopKey (loadDpopKey or createDpopKey)', {
      reason: 'invalid_options',
      claim: 'key',
    });
  }
  const origin = options.origin ?? globalThis.location?.origin;
  if (typeof origin !== 'string' || !/^https?:\/\/[^/?#]+$/.test(origin)) {
    throw new ConfigError('createSessionClient: origin must be an origin such as https://app.example.com', {
      reason: 'invalid_options',
      claim: 'origin',
    });
  }
  const refreshUrl = `${origin}${options.refreshPath ?? '/auth/token/refresh'}`;
  const name = options.channel ?? 'tessera';
  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name);
  let token: string | undefined;
  let nonce: string | undefined;
  let refreshing: Promise<boolean> | undefined;
  const rounds = refreshRounds(`${name}:refreshes`);

  // Registered first, so that it runs before any listener waiting in peerToken.
  channel?.addEventListener('message', (event: MessageEvent<ChannelMessage>) => {
    const message = event.data;
    if (message?.type === 'token' && typeof message.token === 'string') token = message.token;
    else if (message?.type === 'ended') token = undefined;
  });

  /** A request target against the origin; a typed refusal for one that does not parse. */
  const absolute = (input: string | URL) => {
    try {
      return new URL(input, `${origin}/`).toString();
    } catch {
      throw new ConfigError('the session client needs a URL or a path', {
        reason: 'invalid_input',
        claim: 'input',
      });
    }
  };

  /** One request with a fresh proof, once more with the server's nonce if it asks for one. */
  async function send(url: string, init: RequestInit, accessToken: string | undefined): Promise<Response> {
    const method = (init.method ?? 'GET').toUpperCase();
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      headers.set(
        'dpop',
        await createDpopProof(key, {
          method,
          url,
          ...(accessToken === undefined ? {} : { accessToken }),
          ...(nonce === undefined ? {} : { nonce }),
        }),
      );
      if (accessToken !== undefined) headers.set('authorization', `DPoP ${accessToken}`);
      const response = await fetch(url, { ...init, method, headers });
      const offered = response.headers.get('dpop-nonce');
      if (offered !== null) nonce = offered;
      if (attempt > 0 || offered === null || !(await asksForNonce(response))) return response;
    }
  }

  function withLock<T>(task: () => Promise<T>): Promise<T> {
    const locks = globalThis.navigator?.locks;
    return locks === undefined ? task() : (locks.request(`${name}:refresh`, task) as Promise<T>);
  }

  function refresh(): Promise<boolean> {
    if (refreshing !== undefined) return refreshing;
    const seen = token;
    refreshing = (async () => {
      const round = await rounds.read();
      return withLock(async () => {
        // Another tab refreshed while this one waited for the lock: its token (on its way over the
        // channel) is ours too. One rotation for all the tabs, not one each.
        if (round !== undefined && (await rounds.read()) !== round && (await peerToken(seen))) return true;
        const response = await send(refreshUrl, { method: 'POST', credentials: 'same-origin' }, undefined);
        if (!response.ok) {
          token = undefined;
          channel?.postMessage({ type: 'ended' } satisfies ChannelMessage);
          return false;
        }
        // A 200 that is not the token response (a proxy's page) leaves the session as it was.
        keep(await response.json().catch(() => undefined));
        const renewed = token !== undefined && token !== seen;
        // Counted before the lock is released, so the tab that takes it next knows.
        if (renewed) await rounds.bump();
        return renewed;
      });
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  /** Resolves true once a token other than `seen` arrived from another tab (at most one second). */
  function peerToken(seen: string | undefined): Promise<boolean> {
    if (token !== undefined && token !== seen) return Promise.resolve(true);
    if (channel === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        channel.removeEventListener('message', listener);
        resolve(false);
      }, 1000);
      const listener = () => {
        if (token === seen) return;
        clearTimeout(timer);
        channel.removeEventListener('message', listener);
        resolve(token !== undefined);
      };
      channel.addEventListener('message', listener);
    });
  }

  function keep(body: unknown): void {
    const next = (body as { access_token?: unknown } | null)?.access_token;
    if (typeof next !== 'string') return;
    token = next;
    channel?.postMessage({ type: 'token', token: next } satisfies ChannelMessage);
  }

  return {
    async login(path, body) {
      const response = await send(
        absolute(path),
        {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
        undefined,
      );
      if (response.ok)
        keep(
          await response
            .clone()
            .json()
            .catch(() => undefined),
        );
      return response;
    },
    async fetch(input, init = {}) {
      const url = absolute(input);
      // A new tab has no access token yet: its first request starts with a refresh.
      if (token === undefined) await refresh();
      const response = await send(url, init, token);
      if (response.status !== 401 || !isInvalidToken(response)) return response;
      return (await refresh()) ? send(url, init, token) : response;
    },
    refresh,
    get accessToken() {
      return token;
    },
    close() {
      channel?.close();
      rounds.close();
    },
  };
}

/** A 400 or 401 whose error is `use_dpop_nonce` (in the body or the challenge). */
async function asksForNonce(response: Response): Promise<boolean> {
  if (response.status !== 400 && response.status !== 401) return false;
  if ((response.headers.get('www-authenticate') ?? '').includes('error="use_dpop_nonce"')) return true;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined;
  return body?.error === 'use_dpop_nonce';
}

function isInvalidToken(response: Response): boolean {
  return (response.headers.get('www-authenticate') ?? '').includes('error="invalid_token"');
}
