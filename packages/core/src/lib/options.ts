import { z } from 'zod';
import { sourceOf } from '../create-remote-jwks.js';
import { ConfigError } from '../errors.js';
import type { AccessTokensOptions, KeysOption, RevocationCheck } from '../types.js';
import { ALGORITHMS } from './algorithms.js';
import { checkedClock } from './clock.js';
import { ACCESS_TOKEN_TYP } from './header.js';
import { clockOption, clockToleranceOption, optionsError, serviceOption } from './option-schemas.js';
import type { RemoteKeySource } from './remote-jwks.js';

const MAX_TTL_SECONDS = 3600;
/** Other issuers' tokens may live longer than ours (Entra ID: 60 to 90 minutes); one day at most. */
const MAX_ACCEPTED_LIFETIME = 86_400;
/** The `client_id` of tessera's own tokens when the caller names none (RFC 9068 section 2.2 requires one). */
export const DEFAULT_CLIENT_ID = 'first-party';

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
  keys: z.strictObject({
    sign: jwkSchema.optional(),
    verify: z.array(jwkSchema).max(64).optional(),
    remote: z
      .custom((value) => sourceOf(value) !== undefined, 'keys.remote must come from createRemoteJwks')
      .optional(),
  }),
  clientId: z.string().min(1).max(256).default(DEFAULT_CLIENT_ID),
  profile: z
    .strictObject({
      typ: z.array(z.string().min(1).max(64)).min(1).max(8).optional(),
      requireClientId: z.boolean().default(true),
      requireJti: z.boolean().default(true),
      numericDates: z.enum(['integer', 'fractional']).default('integer'),
      maxLifetime: z.number().int().min(1).max(MAX_ACCEPTED_LIFETIME).optional(),
    })
    .default({ requireClientId: true, requireJti: true, numericDates: 'integer' }),
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
  readonly remote: RemoteKeySource | undefined;
  readonly ttl: number;
  /** The longest `exp - iat` verify accepts: `profile.maxLifetime`, else `ttl`. */
  readonly maxLifetime: number;
  readonly clockTolerance: number;
  readonly maxTokenBytes: number;
  readonly clientId: string;
  /** Lower-case `typ` values verify accepts. */
  readonly acceptedTyp: ReadonlySet<string>;
  readonly requireClientId: boolean;
  readonly requireJti: boolean;
  readonly fractionalDates: boolean;
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
  const profile = value.profile;
  const maxLifetime = profile.maxLifetime ?? value.ttl;
  if (options.keys?.sign !== undefined && maxLifetime < value.ttl) {
    throw new ConfigError(
      'profile.maxLifetime is shorter than ttl: this instance would refuse its own tokens',
      {
        reason: 'invalid_options',
        claim: 'profile.maxLifetime',
      },
    );
  }
  const horizon = value.revocation?.horizon;
  // Security: a revocation check that forgets a revocation before the token it revoked expires would
  // let that token back in. Refused here; the denylist also refuses tokens past its horizon.
  if (
    horizon !== undefined &&
    !(typeof horizon === 'number' && maxLifetime + value.clockTolerance <= horizon)
  ) {
    throw new ConfigError(
      `revocation: it can judge tokens for ${String(horizon)} s after issue, less than the longest accepted lifetime + clockTolerance (${maxLifetime + value.clockTolerance} s); give the denylist the same accessTtl and clockTolerance`,
      { reason: 'revocation_horizon', claim: 'revocation' },
    );
  }
  return {
    issuer: value.issuer,
    audiences: typeof value.audience === 'string' ? [value.audience] : value.audience,
    keys: options.keys,
    remote: sourceOf(value.keys.remote),
    ttl: value.ttl,
    maxLifetime,
    clockTolerance: value.clockTolerance,
    maxTokenBytes: value.maxTokenBytes,
    clientId: value.clientId,
    acceptedTyp: new Set((profile.typ ?? ACCESS_TOKEN_TYP).map((typ) => typ.toLowerCase())),
    requireClientId: profile.requireClientId,
    requireJti: profile.requireJti,
    fractionalDates: profile.numericDates === 'fractional',
    cacheEntries:
      value.cache === false ? 0 : value.cache === true ? 10_000 : (value.cache.maxEntries ?? 10_000),
    revocation: value.revocation,
    clock: checkedClock(value.clock),
  };
}
