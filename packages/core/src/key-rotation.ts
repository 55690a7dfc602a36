import { ConfigError } from './errors.js';
import { PRIVATE_JWK_MEMBERS } from './lib/jwk-members.js';
import type { Jwk, KeysOption } from './types.js';

/** A planned rotation of the signing key: the key that signs today, and the one that takes over. */
export interface KeyRotation {
  /** The private key (or HMAC secret) that signs today. */
  readonly current: Jwk;
  /** The private key (or HMAC secret) that takes over; a new `kid`, the same family. */
  readonly next: Jwk;
}

/**
 * The three phases of a rotation that a fleet survives, each rolled out to every issuer instance
 * before the next begins:
 * - `publish`: `current` signs; `next` verifies and is published in `jwks()`;
 * - `switch`: `next` signs; `current` verifies (and stays published) for the tokens it signed;
 * - `retire`: `next` alone.
 */
export type RotationPhase = 'publish' | 'switch' | 'retire';

/** What {@link rotationWaits} takes: the figures the waits depend on, in seconds. */
export interface RotationTimings {
  /** The access-token lifetime (`ttl`). */
  readonly ttl: number;
  /** The clock tolerance of the verifiers (`clockTolerance`, default 5). */
  readonly clockTolerance?: number;
  /**
   * The longest a verifier keeps a JWK Set: the `max-age` the issuer serves it with (the HTTP
   * adapters: 300), or a verifier's `minCacheAge` when larger.
   */
  readonly jwksCacheLifetime: number;
}

/** The least time, in seconds, between the end of one phase's rollout and the start of the next. */
export interface RotationWaits {
  /** From `publish` rolled out to `switch`: every verifier has fetched a set holding `next`. */
  readonly publishToSwitch: number;
  /** From `switch` rolled out to `retire`: the last token `current` signed has expired. */
  readonly switchToRetire: number;
}

/**
 * The `keys` option of an issuer instance in one phase of a rotation (see {@link RotationPhase} and
 * `docs/access-tokens.md`, "Key rotation that a fleet survives").
 *
 * @example
 * ```ts
 * const keys = rotationKeys({ current: october, next: november }, 'publish');
 * const access = createAccessTokens({ issuer, audience, keys });
 * ```
 */
export function rotationKeys(rotation: KeyRotation, phase: RotationPhase): KeysOption {
  const { current, next } = checkRotation(rotation);
  switch (phase) {
    case 'publish':
      return { sign: current, verify: [verifyingHalf(next)] };
    case 'switch':
      return { sign: next, verify: [verifyingHalf(current)] };
    case 'retire':
      return { sign: next };
    default:
      throw new ConfigError('rotationKeys: phase must be publish, switch or retire', {
        reason: 'invalid_options',
        claim: 'phase',
      });
  }
}

/**
 * The least waits between the phases of a rotation: `publishToSwitch` is one JWK Set cache lifetime
 * (a verifier that fetched just before `publish` sees `next` once its copy goes stale, and fetches in
 * time for the first token `next` signs); `switchToRetire` is `ttl + clockTolerance` (the last token
 * `current` signed has then expired everywhere).
 */
export function rotationWaits(timings: RotationTimings): RotationWaits {
  const { ttl, clockTolerance = 5, jwksCacheLifetime } = timings;
  for (const [name, value] of Object.entries({ ttl, clockTolerance, jwksCacheLifetime })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`rotationWaits: ${name} must be a finite number of seconds, at least 0`, {
        reason: 'invalid_options',
        claim: name,
      });
    }
  }
  return { publishToSwitch: jwksCacheLifetime, switchToRetire: ttl + clockTolerance };
}

function checkRotation(rotation: KeyRotation): KeyRotation {
  const { current, next } = rotation ?? ({} as KeyRotation);
  for (const [name, key] of [
    ['current', current],
    ['next', next],
  ] as const) {
    const signs = key?.kty === 'oct' ? typeof key.k === 'string' : typeof key?.d === 'string';
    if (!signs) {
      throw new ConfigError(`rotationKeys: ${name} must be a private JWK (or an HMAC secret)`, {
        reason: 'public_key',
        claim: name,
      });
    }
  }
  if (current.kid === next.kid) {
    throw new ConfigError('rotationKeys: next needs a kid of its own', {
      reason: 'duplicate_kid',
      claim: 'next',
    });
  }
  return rotation;
}

/** What verifies for a key: its public half (an HMAC secret is its own). */
function verifyingHalf(key: Jwk): Jwk {
  if (key.kty === 'oct') return key;
  return Object.fromEntries(
    Object.entries(key).filter(([name]) => !PRIVATE_JWK_MEMBERS.includes(name)),
  ) as Jwk;
}
