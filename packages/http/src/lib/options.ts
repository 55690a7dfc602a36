import { ConfigError, type DpopNonces } from '@tessera/core';
import { functionOption, parseOptions, platform, serviceOption } from '@tessera/core/internal';
import { z } from 'zod';
import type { HttpAuthOptions } from '../types.js';

/** RFC 6265 cookie-name (an RFC 7230 token). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
const PATH = /^(\/[A-Za-z0-9._~-]+)*$/;

const origin = z.string().refine((value) => {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}, 'each trusted origin must be scheme://host[:port], with no path or trailing slash');

/**
 * What the handlers call on `sessions` (test/service-methods.test.ts holds this to the source): a
 * missing one is ERR_CONFIG at construction, never a 500 at request time.
 */
export const SESSIONS_METHODS = [
  'verify',
  'refresh',
  'logout',
  'logoutEverywhere',
  'revokeSession',
  'list',
] as const;

const schema = z.strictObject({
  sessions: serviceOption('sessions (createSessions)', SESSIONS_METHODS),
  jwks: z.optional(functionOption<() => unknown>('jwks')),
  refreshToken: z.discriminatedUnion('in', [
    z.strictObject({
      in: z.literal('cookie'),
      name: z.string().regex(COOKIE_NAME).optional(),
      insecureDevelopmentCookie: z.boolean().optional(),
    }),
    z.strictObject({ in: z.literal('body') }),
  ]),
  basePath: z.string().regex(PATH, 'basePath must look like /auth (no trailing slash)').default('/auth'),
  trustedOrigins: z.array(origin).default([]),
  realm: z
    .string()
    .regex(/^[\x20-\x7e]{1,64}$/, 'realm must be 1-64 printable ASCII characters')
    .default('api'),
  retryAfter: z.number().int().min(1).max(3600).default(1),
  tokenCookies: z.array(z.string().regex(COOKIE_NAME)).default(['access_token']),
  dpop: z
    .strictObject({
      origin,
      requireNonce: z.boolean().default(false),
      tokenEndpointNonce: z.boolean().default(false),
      nonces: z.optional(serviceOption<DpopNonces>('dpop.nonces (createDpopNonces)', ['current', 'check'])),
      algorithms: z
        .array(z.string().regex(/^[A-Za-z0-9]{2,16}$/))
        .min(1)
        .max(8)
        .default(['ES256', 'EdDSA', 'Ed25519']),
    })
    .optional(),
});

export interface ResolvedHttpOptions {
  readonly transport: 'cookie' | 'body';
  /** The full refresh-cookie name, `__Secure-` prefix included (unless insecureDevelopmentCookie). */
  readonly cookieName: string;
  /** False only with insecureDevelopmentCookie: the cookie then lacks `Secure`. */
  readonly secureCookie: boolean;
  readonly basePath: string;
  readonly trustedOrigins: ReadonlySet<string>;
  readonly realm: string;
  readonly retryAfter: number;
  /** Cookies that count as a token credential (the refresh cookie among them). */
  readonly tokenCookies: readonly string[];
  /** DPoP on resource requests, when configured. */
  readonly dpop: ResolvedDpop | undefined;
}

/** The DPoP settings of the HTTP layer. */
export interface ResolvedDpop {
  /** The public origin clients address (htu), without a trailing slash. */
  readonly origin: string;
  readonly requireNonce: boolean;
  /** Require a server nonce in token-endpoint proofs. */
  readonly tokenEndpointNonce: boolean;
  readonly nonces: DpopNonces | undefined;
  /** For `WWW-Authenticate: DPoP algs="..."`. */
  readonly algs: string;
}

export function resolveHttpOptions(options: HttpAuthOptions): ResolvedHttpOptions {
  const value = parseOptions(schema, options, 'http options');
  const transport = value.refreshToken;
  const insecure = transport.in === 'cookie' && transport.insecureDevelopmentCookie === true;
  if (insecure) {
    // Security: a cookie without Secure travels over plain HTTP; that is for a developer's LAN only.
    if (platform.env('NODE_ENV') === 'production') {
      throw new ConfigError(
        'refreshToken.insecureDevelopmentCookie is refused when NODE_ENV is production: serve HTTPS',
        { reason: 'insecure_in_production', claim: 'refreshToken.insecureDevelopmentCookie' },
      );
    }
    platform.warn(
      'tessera http: the refresh cookie is not Secure (insecureDevelopmentCookie): for development over plain HTTP only',
      'TESSERA_HTTP_INSECURE_COOKIE',
    );
  }
  const name = transport.in === 'cookie' ? (transport.name ?? 'tessera-rt') : 'tessera-rt';
  // The __Secure- prefix makes browsers refuse the cookie unless it is Secure and set over HTTPS.
  const cookieName = insecure ? name : `__Secure-${name}`;
  return {
    transport: transport.in,
    secureCookie: !insecure,
    cookieName,
    basePath: value.basePath,
    trustedOrigins: new Set(value.trustedOrigins),
    realm: value.realm,
    retryAfter: value.retryAfter,
    tokenCookies: [...new Set([...value.tokenCookies, cookieName])],
    dpop: resolveDpop(value.dpop),
  };
}

function resolveDpop(
  dpop:
    | {
        origin: string;
        requireNonce: boolean;
        tokenEndpointNonce: boolean;
        nonces?: DpopNonces | undefined;
        algorithms: string[];
      }
    | undefined,
): ResolvedDpop | undefined {
  if (dpop === undefined) return undefined;
  if ((dpop.requireNonce || dpop.tokenEndpointNonce) && dpop.nonces === undefined) {
    throw new ConfigError(
      'dpop.requireNonce and dpop.tokenEndpointNonce need dpop.nonces (createDpopNonces)',
      {
        reason: 'invalid_options',
        claim: 'dpop.nonces',
      },
    );
  }
  return {
    origin: dpop.origin,
    requireNonce: dpop.requireNonce,
    tokenEndpointNonce: dpop.tokenEndpointNonce,
    nonces: dpop.nonces,
    algs: dpop.algorithms.join(' '),
  };
}
