import * as z from 'zod/mini';
import type { DpopVerifier } from '../create-dpop-verifier.js';
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

/** A string of `min` to `max` characters. */
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
/** An integer from `min` to `max`. */
const integer = (min: number, max: number) => z.int().check(z.minimum(min), z.maximum(max));

const jwkSchema = z.looseObject({
  kty: z.enum(['OKP', 'EC', 'RSA', 'oct']),
  kid: text(1, 256).check(z.regex(/^[\x21-\x7e]+$/, 'kid must be printable ASCII without spaces')),
  alg: z.enum(ALGORITHMS),
  use: z.optional(z.string()),
  key_ops: z.optional(z.array(z.string())),
});

const audienceSchema = z.union([
  text(1, 1024),
  z.array(text(1, 1024)).check(z.minLength(1), z.maxLength(16)),
]);

const optionsSchema = z.strictObject({
  issuer: text(1, 2048),
  audience: audienceSchema,
  keys: z.strictObject({
    sign: z.optional(jwkSchema),
    verify: z.optional(z.array(jwkSchema).check(z.maxLength(64))),
    remote: z.optional(
      z.custom((value) => sourceOf(value) !== undefined, 'keys.remote must come from createRemoteJwks'),
    ),
  }),
  clientId: z._default(text(1, 256), DEFAULT_CLIENT_ID),
  profile: z._default(
    z.strictObject({
      typ: z.optional(z.array(text(1, 64)).check(z.minLength(1), z.maxLength(8))),
      requireClientId: z._default(z.boolean(), true),
      requireJti: z._default(z.boolean(), true),
      numericDates: z._default(z.enum(['integer', 'fractional']), 'integer'),
      maxLifetime: z.optional(integer(1, MAX_ACCEPTED_LIFETIME)),
    }),
    { requireClientId: true, requireJti: true, numericDates: 'integer' as const },
  ),
  ttl: z._default(integer(1, MAX_TTL_SECONDS), 900),
  clockTolerance: clockToleranceOption,
  maxTokenBytes: z._default(integer(1024, 65_536), 8192),
  cache: z._default(
    z.union([z.boolean(), z.strictObject({ maxEntries: z.optional(integer(1, 10_000_000)) })]),
    false,
  ),
  // What verify calls on it.
  revocation: z.optional(serviceOption<RevocationCheck>('revocation', ['check'])),
  dpop: z.optional(serviceOption<DpopVerifier>('dpop (createDpopVerifier)', ['verify'])),
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
  readonly dpop: DpopVerifier | undefined;
  readonly clock: () => number;
}

/** Validates options once. Throws {@link ConfigError} naming every problem (paths and rules, never values). */
export function resolveOptions(options: AccessTokensOptions): ResolvedOptions {
  const parsed = z.safeParse(optionsSchema, options);
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
    dpop: value.dpop,
    clock: checkedClock(value.clock),
  };
}
