import {
  checkedClock,
  clockOption,
  functionOption,
  parseOptions,
  serviceOption,
} from '@tessera/core/internal';
import { z } from 'zod';
import type { SessionsOptions } from '../types.js';

/** What `createSessions` calls on each service it composes (test/service-methods.test.ts holds these to the source). */
export const SERVICE_METHODS = {
  access: ['issue', 'verify'],
  refresh: ['issue', 'rotate', 'revoke', 'revokeAll', 'list', 'sessionIdOf'],
  denylist: ['epochs', 'revokeUser', 'revokeSession', 'check', 'status'],
} as const;

const schema = z.strictObject({
  access: serviceOption('access (createAccessTokens)', SERVICE_METHODS.access),
  refresh: serviceOption('refresh (createRefreshTokens)', SERVICE_METHODS.refresh),
  denylist: serviceOption('denylist (createDenylist)', SERVICE_METHODS.denylist),
  events: z.optional(functionOption('events')),
  policy: z.strictObject({ anomaly: z.optional(functionOption('policy.anomaly')) }).optional(),
  claims: z.optional(functionOption('claims')),
  dpop: z.optional(serviceOption('dpop (createDpopVerifier)', ['verify'])),
  clock: clockOption,
  eventClient: z.enum(['raw', 'fingerprint']).optional(),
});

/** Validates the options once, at construction (`ERR_CONFIG`). */
export function resolveSessionsOptions(options: SessionsOptions): SessionsOptions & { clock: () => number } {
  parseOptions(schema, options, 'sessions options');
  return { ...options, clock: checkedClock(options.clock) };
}
