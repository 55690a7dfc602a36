/**
 * A minimal HTTP client for the walkthrough and the end-to-end tests: one "device" with its access
 * token and its refresh cookie (kept like a browser would: Path-scoped, cleared on Max-Age=0).
 */
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
  /** The refresh cookie's value and path, as the server set them. */
  cookie: { name: string; value: string; path: string } | undefined;
  /** The refresh token when the deployment sends it in the body. */
  refreshToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly name: string,
  ) {}

  async send(method: string, path: string, options: SendOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { 'user-agent': `tessera-demo/${this.name}`, ...options.headers };
    const bearer =
      options.bearer === undefined || options.bearer === true
        ? this.accessToken
        : options.bearer || undefined;
    if (bearer !== undefined && options.bearer !== false) headers.authorization = `Bearer ${bearer}`;
    const pathname = path.split('?')[0]!;
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

  /** A copy of this device's credentials in another's hands. */
  stolenBy(name: string): Device {
    return this.copy(this.baseUrl, name);
  }

  /** The same device talking to another server of the fleet. */
  at(baseUrl: string): Device {
    return this.copy(baseUrl, this.name);
  }

  private copy(baseUrl: string, name: string): Device {
    const thief = new Device(baseUrl, name);
    thief.accessToken = this.accessToken;
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
