/**
 * A minimal HTTP client for the walkthrough and the end-to-end tests: one "device" with its access
 * token and its refresh cookie (kept like a browser would: Path-scoped, cleared on Max-Age=0), and,
 * once given a key (`useDpop`), a DPoP proof on every request (`@tessera/client`).
 */
import { createDpopProof, type DpopKey } from '@tessera/client';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> | undefined;
}

export interface SendOptions {
  readonly body?: unknown;
  /** A body sent as it is (with your own content-type header), in place of `body`. */
  readonly raw?: string;
  /** Send the device's access token (default true when it has one). */
  readonly bearer?: boolean | string;
  readonly headers?: Record<string, string>;
}

export class Device {
  accessToken: string | undefined;
  /** `DPoP` once the server issued a DPoP-bound access token, else `Bearer`. */
  tokenType = 'Bearer';
  /** The device's DPoP key and the public origin its proofs name, once `useDpop` was called. */
  private dpop: { readonly key: DpopKey; readonly origin: string } | undefined;
  /** The server's latest DPoP nonce. */
  private nonce: string | undefined;
  /** The refresh cookie's value and path, as the server set them. */
  cookie: { name: string; value: string; path: string } | undefined;
  /** The refresh token when the deployment sends it in the body. */
  refreshToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly name: string,
  ) {}

  /** From now on, every request carries a proof by `key` for `origin` + its path (the server's public origin). */
  useDpop(key: DpopKey, origin: string): this {
    this.dpop = { key, origin };
    return this;
  }

  async send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    const reply = await this.sendOnce(method, path, options);
    // A server that wants a nonce says so once, with the nonce: the request goes again with it.
    const nonce = reply.headers.get('dpop-nonce');
    if (this.dpop !== undefined && nonce !== null && reply.body?.error === 'use_dpop_nonce') {
      this.nonce = nonce;
      return this.sendOnce(method, path, options);
    }
    return reply;
  }

  private async sendOnce(method: string, path: string, options: SendOptions): Promise<Reply> {
    const headers: Record<string, string> = { 'user-agent': `tessera-demo/${this.name}`, ...options.headers };
    const bearer =
      options.bearer === undefined || options.bearer === true
        ? this.accessToken
        : options.bearer || undefined;
    if (bearer !== undefined && options.bearer !== false)
      headers.authorization = `${this.tokenType} ${bearer}`;
    const pathname = path.split('?')[0]!;
    if (this.dpop !== undefined) {
      const sent = headers.authorization === undefined ? undefined : bearer;
      headers.dpop = await createDpopProof(this.dpop.key, {
        method,
        url: `${this.dpop.origin}${pathname}`,
        ...(sent === undefined ? {} : { accessToken: sent }),
        ...(this.nonce === undefined ? {} : { nonce: this.nonce }),
      });
    }
    if (this.cookie !== undefined && pathname.startsWith(this.cookie.path)) {
      headers.cookie = `${this.cookie.name}=${this.cookie.value}`;
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.raw === undefined ? {} : { body: options.raw }),
    });
    this.keepCookies(response.headers);
    const text = await response.text();
    let body: Record<string, unknown> | undefined;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      body = { text };
    }
    if (response.ok && typeof body?.access_token === 'string') {
      this.accessToken = body.access_token;
      this.tokenType = body.token_type === 'DPoP' ? 'DPoP' : 'Bearer';
      if (typeof body.refresh_token === 'string') this.refreshToken = body.refresh_token;
    }
    return { status: response.status, headers: response.headers, body };
  }

  /** Refreshes with the device's refresh token, in whichever transport the server uses. */
  refresh(): Promise<Reply> {
    return this.send('POST', '/auth/token/refresh', {
      bearer: false,
      ...(this.refreshToken === undefined ? {} : { body: { refresh_token: this.refreshToken } }),
    });
  }

  logout(): Promise<Reply> {
    return this.send('POST', '/auth/token/logout', {
      bearer: false,
      ...(this.refreshToken === undefined ? {} : { body: { refresh_token: this.refreshToken } }),
    });
  }

  /** A copy of this device's credentials in another's hands (the tokens: never the DPoP key). */
  stolenBy(name: string): Device {
    return this.copy(this.baseUrl, name, false);
  }

  /** The same device talking to another server of the fleet. */
  at(baseUrl: string): Device {
    return this.copy(baseUrl, this.name, true);
  }

  private copy(baseUrl: string, name: string, withKey: boolean): Device {
    const thief = new Device(baseUrl, name);
    if (withKey) thief.dpop = this.dpop;
    thief.accessToken = this.accessToken;
    thief.tokenType = this.tokenType;
    thief.cookie = this.cookie === undefined ? undefined : { ...this.cookie };
    thief.refreshToken = this.refreshToken;
    return thief;
  }

  private keepCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const cleared = attributes.some((a) => a.toLowerCase() === 'max-age=0');
      this.cookie = cleared || value === '' ? undefined : { name, value, path };
    }
  }
}
