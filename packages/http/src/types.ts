import type { DpopNonces, JwkSet } from '@tessera/core';
import type { SessionMeta } from '@tessera/refresh';
import type { DpopPresentation, SessionAccessClaims, Sessions, SessionTokens } from '@tessera/sessions';

/**
 * The part of a request the bearer check reads. A Fetch `Request` is one; the Node adapters pass a
 * light view of `IncomingMessage` (no body, no copy) so that the hot path allocates little.
 */
export interface RequestLike {
  /** The HTTP method. */
  readonly method: string;
  /** The request target: an absolute URL or an origin-form path with its query. */
  readonly url: string;
  /** Header lookup, case-insensitive; repeated headers joined with ", " as Fetch does. */
  readonly headers: {
    /** The header's value, or null when absent. */
    get(name: string): string | null;
  };
  /**
   * The body as your framework parsed it, if it did (Express `req.body`, Fastify `request.body`;
   * not `body`, which a Fetch `Request` has as a stream):
   * `authenticate` refuses a form-encoded body that carries `access_token` (one credential, one
   * method). A Fetch `Request` needs none: its form body is read from a clone.
   */
  readonly parsedBody?: unknown;
}

/** Facts about the connection that the request itself does not carry. */
export interface RequestContext {
  /** The client's IP (what your framework resolves, proxies included), for device metadata. */
  readonly ip?: string | undefined;
}

/** How the refresh token travels: one mechanism per deployment. */
export type RefreshTransport =
  | {
      /**
       * An `HttpOnly; Secure; SameSite=Strict` cookie with the `__Secure-` prefix, scoped to the
       * token path (`<basePath>/token`), so it is sent to the refresh and logout endpoints only.
       * For browser apps.
       */
      readonly in: 'cookie';
      /** Cookie name after the `__Secure-` prefix. Default `tessera-rt`. */
      readonly name?: string;
      /**
       * Development over plain HTTP on a LAN address or container host name, where browsers refuse
       * a `Secure` cookie: the cookie loses the `__Secure-` prefix and `Secure` (still `HttpOnly`,
       * `SameSite=Strict`, path-scoped). Refused (`ERR_CONFIG`, reason `insecure_in_production`) when
       * `NODE_ENV` is `production`, and warned about at start. `localhost` needs none of this.
       */
      readonly insecureDevelopmentCookie?: boolean;
    }
  | {
      /** A JSON body `{ "refresh_token": "..." }`, answered in the body. For native and server clients. */
      readonly in: 'body';
    };

/** The `dpop` option of {@link createHttpAuth}: DPoP (RFC 9449) on resource requests and the token endpoint. */
export interface HttpDpopOptions {
  /** The public origin clients address, e.g. `https://api.example.com` (a proof's `htu` is this plus the path). */
  readonly origin: string;
  /** Require a current server nonce in every proof of a resource request (default false). */
  readonly requireNonce?: boolean;
  /**
   * Require a current server nonce in every proof at the token endpoint: the refresh route, and your
   * login route through `dpopOf` (default false). RFC 9449 section 8: this limits how long a proof
   * made on a compromised device stays usable.
   */
  readonly tokenEndpointNonce?: boolean;
  /** The server nonces (`createDpopNonces`); needed with `requireNonce` or `tokenEndpointNonce`. */
  readonly nonces?: DpopNonces;
  /** The proof algorithms to announce in `WWW-Authenticate: DPoP algs` (those of the DPoP verifier). */
  readonly algorithms?: readonly string[];
}

/** Options of {@link createHttpAuth}; validated once (`ERR_CONFIG`). */
export interface HttpAuthOptions {
  /** The session service (`createSessions`). */
  readonly sessions: Sessions;
  /** The public keys to publish at `GET /.well-known/jwks.json` (core's `access.jwks`). Omit to not serve it. */
  readonly jwks?: () => JwkSet;
  /** Where the refresh token travels. */
  readonly refreshToken: RefreshTransport;
  /** Prefix of the built-in routes. Default `/auth`. */
  readonly basePath?: string;
  /**
   * Origins (scheme://host[:port]) allowed to call the refresh and logout endpoints cross-origin, in
   * addition to same-origin requests. Default none.
   */
  readonly trustedOrigins?: readonly string[];
  /** The `realm` of `WWW-Authenticate` challenges. Default `api`. */
  readonly realm?: string;
  /** Seconds in `Retry-After` on 503 answers. Default 1. */
  readonly retryAfter?: number;
  /**
   * Cookie names that carry a token: a request with a bearer header and one of these is refused (one
   * mechanism per request). The refresh cookie is always one. Default `["access_token"]`.
   */
  readonly tokenCookies?: readonly string[];
  /**
   * DPoP (RFC 9449) on resource requests: `Authorization: DPoP <token>` with a `DPoP` proof header,
   * checked by the DPoP verifier of `createAccessTokens({ dpop })`. `origin` is the public origin
   * clients address (a proof's `htu` is compared with it plus the request path: behind a proxy the
   * request itself does not know it). `requireNonce` with `nonces` asks for a server nonce
   * (`use_dpop_nonce`, answered with a `DPoP-Nonce` header); `algorithms` are announced in
   * `WWW-Authenticate: DPoP algs="..."` (default ES256 EdDSA Ed25519).
   */
  readonly dpop?: HttpDpopOptions;
}

/** The outcome of {@link HttpAuth.authenticate}: the claims, or the response to send instead. */
export type AuthResult =
  | {
      /** The bearer token verified. */
      readonly ok: true;
      /** The verified claims. */
      readonly claims: SessionAccessClaims;
    }
  | {
      /** The request was refused. */
      readonly ok: false;
      /** The answer to send as is (400, 401, 403 or 503, RFC 6750). */
      readonly response: Response;
    };

/** The built-in paths (after `basePath`). */
export interface HttpAuthRoutes {
  /** The prefix of every built-in route but the JWKS (`basePath`). */
  readonly base: string;
  /** `POST`: rotate the refresh token into a new pair. */
  readonly refresh: string;
  /** `POST`: end the session named by the refresh token. */
  readonly logout: string;
  /** `POST` with a bearer token: end every session of the user. */
  readonly logoutEverywhere: string;
  /** `GET` with a bearer token: the user's sessions; `DELETE <sessions>/<id>`: end one of them. */
  readonly sessions: string;
  /** `GET`: the JWK Set. */
  readonly jwks: string;
  /** The path the refresh cookie is scoped to. */
  readonly cookiePath: string;
}

/** The HTTP layer returned by {@link createHttpAuth}, on Fetch `Request` / `Response`. */
export interface HttpAuth {
  /** The built-in routes' paths, as configured. */
  readonly routes: HttpAuthRoutes;
  /**
   * Checks the bearer token of a request: from the `Authorization` header only (never the URL, never
   * together with a token cookie), verified with the session's revocation check.
   */
  authenticate(
    request: RequestLike,
    options?: { scope?: string | readonly string[] },
    context?: RequestContext,
  ): Promise<AuthResult>;
  /** Serves the built-in routes; resolves undefined when the request is for none of them. */
  handle(request: Request, context?: RequestContext): Promise<Response | undefined>;
  /**
   * The response of your login route: the token pair in the configured transport, `no-store`, with
   * `token_type: "DPoP"` when the access token is DPoP-bound (else `Bearer`).
   */
  tokenResponse(tokens: SessionTokens, init?: { status?: number }): Response;
  /**
   * The DPoP proof of a token-endpoint request (your login route), for the `dpop` option of the session service's `login`:
   * the `DPoP` header with the request's method and public URL. Undefined without the `dpop` option
   * or without the header.
   */
  dpopOf(request: RequestLike): DpopPresentation | undefined;
  /**
   * The response of your login route for an error: a bad DPoP proof as RFC 9449 section 5 says (400
   * `invalid_dpop_proof`, or `use_dpop_nonce` with a `DPoP-Nonce` header), else as {@link HttpAuth.errorResponse}.
   */
  tokenErrorResponse(error: unknown): Promise<Response>;
  /** The device metadata of a request (user agent, and the IP from `context`). */
  metaOf(request: RequestLike, context?: RequestContext): SessionMeta;
  /** The response for an error: RFC 6750 for token errors, 503 + `Retry-After` for `ERR_UNAVAILABLE`. */
  errorResponse(error: unknown): Response;
}
