import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { AccessTokensOptions, KeysOption, RevocationCheck } from '../types.js';
import { ALGORITHMS } from './algorithms.js';
import { checkedClock } from './clock.js';
import { clockOption, clockToleranceOption, optionsError, serviceOption } from './option-schemas.js';

const MAX_TTL_SECONDS = 3600;

const jwkSchema = z.looseObject({
  kty: z.enum(['OKP', 'EC', 'RSA', 'oct']),
  kid: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'kid must be printable ASCII without spaces'),
  alg: z.enum(ALGORITHMS),
  use: z.string().optional(),
  key_ops: z.array(z.string()).optional(),
});

const audienceSchema = z.union([
  z.string().min(1).max(1024),
  z.array(z.string().min(1).max(1024)).min(1).max(16),
]);

const optionsSchema = z.strictObject({
  issuer: z.string().min(1).max(2048),
  audience: audienceSchema,
  keys: z.strictObject({ sign: jwkSchema.optional(), verify: z.array(jwkSchema).max(64).optional() }),
  ttl: z.number().int().min(1).max(MAX_TTL_SECONDS).default(900),
  clockTolerance: clockToleranceOption,
  maxTokenBytes: z.number().int().min(1024).max(65_536).default(8192),
  cache: z
    .union([z.boolean(), z.strictObject({ maxEntries: z.number().int().min(1).max(10_000_000).optional() })])
    .default(false),
  // What verify calls on it.
  revocation: serviceOption<RevocationCheck>('revocation', ['check']).optional(),
  clock: clockOption,
});

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly keys: KeysOption;
  readonly ttl: number;
  readonly clockTolerance: number;
  readonly maxTokenBytes: number;
  /** 0 when the cache is off. */
  readonly cacheEntries: number;
  readonly revocation: RevocationCheck | undefined;
  readonly clock: () => number;
}

/** Validates options once. Throws {@link ConfigError} naming every problem (paths and rules, never values). */
export function resolveOptions(options: AccessTokensOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw optionsError(parsed.error, 'options');
  const value = parsed.data;
  const horizon = value.revocation?.horizon;
  // Security: a revocation check that forgets a revocation before the token it revoked expires would
  // let that token back in. Refused here; the denylist also refuses tokens past its horizon.
  if (
    horizon !== undefined &&
    !(typeof horizon === 'number' && value.ttl + value.clockTolerance <= horizon)
  ) {
    throw new ConfigError(
      `revocation: it can judge tokens for ${String(horizon)} s after issue, less than ttl + clockTolerance (${value.ttl + value.clockTolerance} s); give the denylist the same accessTtl and clockTolerance`,
      { reason: 'revocation_horizon', claim: 'revocation' },
    );
  }
  return {
    issuer: value.issuer,
    audiences: typeof value.audience === 'string' ? [value.audience] : value.audience,
    keys: options.keys,
    ttl: value.ttl,
    clockTolerance: value.clockTolerance,
    maxTokenBytes: value.maxTokenBytes,
    cacheEntries:
      value.cache === false ? 0 : value.cache === true ? 10_000 : (value.cache.maxEntries ?? 10_000),
    revocation: value.revocation,
    clock: checkedClock(value.clock),
  };
}
