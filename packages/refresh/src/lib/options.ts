import { ConfigError } from '@tessera/core';
import {
  checkedClock,
  clockOption,
  parseOptions,
  platform,
  secretWeakness,
  serviceOption,
} from '@tessera/core/internal';
import { z } from 'zod';
import type { RefreshStore } from '../store.js';
import { type MacSecret, SECRET_ID } from './token-format.js';

const DAY = 24 * 60 * 60;

const secretSchema = z.strictObject({
  id: z.string().regex(SECRET_ID, 'id must be 1-16 characters of [A-Za-z0-9_-]'),
  secret: z.union([z.instanceof(Uint8Array), z.string().min(1)]),
});

const schema = z
  .strictObject({
    // What the service calls on its store.
    store: serviceOption<RefreshStore>('store', ['create', 'rotate', 'revoke', 'revokeAll', 'list']),
    secrets: z.array(secretSchema).min(1).max(16),
    idleTtl: z
      .number()
      .int()
      .min(60)
      .max(365 * DAY)
      .default(7 * DAY),
    absoluteTtl: z
      .number()
      .int()
      .min(60)
      .max(365 * DAY)
      .default(30 * DAY),
    reuseGrace: z.number().int().min(0).max(60).default(10),
    maxSessionsPerUser: z.number().int().min(1).max(10_000).default(50),
    clock: clockOption,
  })
  .refine((value) => value.idleTtl <= value.absoluteTtl, {
    message: 'idleTtl must not exceed absoluteTtl',
    path: ['idleTtl'],
  });

export type RefreshTokensOptionsInput = z.input<typeof schema>;

export interface ResolvedRefreshOptions {
  readonly store: RefreshStore;
  /** The first secret signs new sessions. */
  readonly current: MacSecret;
  readonly secrets: ReadonlyMap<string, MacSecret>;
  readonly idleTtlMs: number;
  readonly absoluteTtlMs: number;
  readonly graceMs: number;
  readonly maxSessionsPerUser: number;
  readonly clock: () => number;
}

/** Validates once; throws ConfigError naming paths and rules, never secret values. */
export function resolveRefreshOptions(options: unknown): ResolvedRefreshOptions {
  const value = parseOptions(schema, options, 'refresh options');
  const secrets = new Map<string, MacSecret>();
  value.secrets.forEach((entry, index) => {
    // A copy: a caller who later changes its buffer changes nothing here.
    const key =
      typeof entry.secret === 'string'
        ? platform.bytes.fromUtf8(entry.secret)
        : Uint8Array.from(entry.secret);
    // One strength rule with core's HS256 keys: at least 32 bytes (RFC 2104 / 7518), not patterned.
    const weakness = secretWeakness(key);
    if (weakness !== undefined) {
      throw new ConfigError(`secrets.${index}.secret: the secret is ${weakness}; use randomBytes(32)`, {
        reason: 'weak_secret',
        claim: `secrets.${index}`,
      });
    }
    if (secrets.has(entry.id)) {
      throw new ConfigError(`secrets.${index}.id: duplicate secret id "${entry.id}"`, {
        reason: 'duplicate_secret_id',
      });
    }
    secrets.set(entry.id, { id: entry.id, mac: platform.hmacSha256(key) });
  });
  return {
    store: value.store,
    current: secrets.get(value.secrets[0]!.id)!,
    secrets,
    idleTtlMs: value.idleTtl * 1000,
    absoluteTtlMs: value.absoluteTtl * 1000,
    graceMs: value.reuseGrace * 1000,
    maxSessionsPerUser: value.maxSessionsPerUser,
    clock: checkedClock(value.clock),
  };
}
