import { ConfigError } from '@tessera/core';
import { checkedClock } from '@tessera/core/internal';
import { z } from 'zod';
import type { SessionsOptions } from '../types.js';

/** An object with these methods (duck-typed: the services are plain frozen objects). */
const service = (what: string, methods: readonly string[]) =>
  z.custom<object>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function'),
    `${what} must provide ${methods.join(', ')}`,
  );

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>(
    (value) => typeof value === 'function',
    `${what} must be a function`,
  );

const schema = z.strictObject({
  access: service('access (createAccessTokens)', ['issue', 'verify']),
  refresh: service('refresh (createRefreshTokens)', [
    'issue',
    'rotate',
    'revoke',
    'revokeAll',
    'list',
    'sessionIdOf',
  ]),
  denylist: service('denylist (createDenylist)', ['epochs', 'revokeUser', 'revokeSession', 'check']),
  events: fn('events').optional(),
  policy: z.strictObject({ anomaly: fn('policy.anomaly').optional() }).optional(),
  claims: fn('claims').optional(),
  clock: fn('clock').optional(),
});

/** Validates the options once, at construction (`ERR_CONFIG`). */
export function resolveSessionsOptions(options: SessionsOptions): SessionsOptions & { clock: () => number } {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid sessions options: ${problems.join('; ')}`, {
      reason: 'invalid_options',
      claim: parsed.error.issues[0]?.path.join('.'),
    });
  }
  return { ...options, clock: checkedClock(options.clock) };
}
