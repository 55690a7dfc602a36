import { ConfigError } from '@tessera/core';
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

const schema = z.strictObject({
  sessions: z.custom<object>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      ['login', 'refresh', 'verify', 'logout', 'list'].every(
        (name) => typeof (value as Record<string, unknown>)[name] === 'function',
      ),
    'sessions must be created with createSessions',
  ),
  jwks: z.custom<() => unknown>((value) => typeof value === 'function', 'jwks must be a function').optional(),
  refreshToken: z.discriminatedUnion('in', [
    z.strictObject({ in: z.literal('cookie'), name: z.string().regex(COOKIE_NAME).optional() }),
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
});

export interface ResolvedHttpOptions {
  readonly transport: 'cookie' | 'body';
  /** The full refresh-cookie name, `__Secure-` prefix included. */
  readonly cookieName: string;
  readonly basePath: string;
  readonly trustedOrigins: ReadonlySet<string>;
  readonly realm: string;
  readonly retryAfter: number;
  /** Cookies that count as a token credential (the refresh cookie among them). */
  readonly tokenCookies: readonly string[];
}

export function resolveHttpOptions(options: HttpAuthOptions): ResolvedHttpOptions {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid http options: ${problems.join('; ')}`, {
      reason: 'invalid_options',
      claim: parsed.error.issues[0]?.path.join('.'),
    });
  }
  const value = parsed.data;
  // The __Secure- prefix makes browsers refuse the cookie unless it is Secure and set over HTTPS.
  const cookieName = `__Secure-${value.refreshToken.in === 'cookie' ? (value.refreshToken.name ?? 'tessera-rt') : 'tessera-rt'}`;
  return {
    transport: value.refreshToken.in,
    cookieName,
    basePath: value.basePath,
    trustedOrigins: new Set(value.trustedOrigins),
    realm: value.realm,
    retryAfter: value.retryAfter,
    tokenCookies: [...new Set([...value.tokenCookies, cookieName])],
  };
}
