import {
  checkedClock,
  clockOption,
  clockToleranceOption,
  functionOption,
  KEY_PREFIX,
  KEY_PREFIX_RULE,
  parseOptions,
  platform,
  serviceOption,
} from '@tessera/core/internal';
import { z } from 'zod';

/** What the denylist calls on its client (and on the duplicate it follows the log with). */
const CLIENT_METHODS = [
  'defineCommand',
  'duplicate',
  'pipeline',
  'xrange',
  'config',
  'info',
  'eval',
] as const;

/** Most shards of a layout: two layouts (while migrating) index the view's sources in one byte. */
export const MAX_SHARDS = 100;

const common = {
  /** Lifetime of access tokens, seconds (core's `ttl`, default 900, at most 3600). */
  accessTtl: z.number().int().min(1).max(3600).default(900),
  /** Core's `clockTolerance`, seconds (default 5, at most 60; fractions allowed, as in core). */
  clockTolerance: clockToleranceOption,
  clock: clockOption,
  /** Most revocations the in-process view holds (default 2,000,000; see lib/view.ts). */
  maxViewEntries: z.number().int().min(1).max(100_000_000).default(2_000_000),
};

const memorySchema = z.strictObject(common);

const redisSchema = z
  .strictObject({
    ...common,
    client: serviceOption<object>('client (an ioredis Redis or Cluster)', CLIENT_METHODS),
    prefix: z.string().regex(KEY_PREFIX, KEY_PREFIX_RULE).default('tessera:dl'),
    maxStaleness: z.number().min(0.05).max(60).default(5),
    timeoutMs: z.number().int().min(1).max(60_000).default(2000),
    onWarning: z.optional(functionOption<(message: string) => void>('onWarning')),
    shards: z.number().int().min(1).max(MAX_SHARDS).default(1),
    reshardFrom: z.optional(z.number().int().min(1).max(MAX_SHARDS)),
    durability: z
      .strictObject({
        replicas: z.number().int().min(0).max(16),
        timeoutMs: z.number().int().min(1).max(60_000).default(500),
      })
      .default({ replicas: 0, timeoutMs: 500 }),
  })
  .refine((value) => value.reshardFrom !== value.shards, {
    message: 'reshardFrom must differ from shards (it is the shard count being migrated from)',
    path: ['reshardFrom'],
  });

/** How long revocations matter, derived once from `accessTtl` and `clockTolerance`. */
export interface RevocationWindow {
  /**
   * The horizon, seconds: the longest time after its `iat` that a token can be vouched for
   * (`accessTtl + clockTolerance`). `check` refuses a token past it, whatever its `exp` says.
   */
  readonly horizonSeconds: number;
  /**
   * How long a revocation is kept, ms: the horizon plus a margin for a token signed just after its
   * epoch was read (a login racing a revocation), so every token it applies to is past the horizon
   * by the time it is dropped.
   */
  readonly windowMs: number;
}

export interface ResolvedCommon extends RevocationWindow {
  readonly clock: () => number;
  /** Most revocations the view holds; past it, a revocation fails closed. */
  readonly maxViewEntries: number;
}

export interface ResolvedRedisOptions<Client> extends ResolvedCommon {
  readonly client: Client;
  readonly prefix: string;
  /** Shards of the layout (1: every key in one slot, as before shards existed). */
  readonly shards: number;
  /** While migrating: the shard count of the layout being migrated from. */
  readonly reshardFrom: number | undefined;
  readonly maxStalenessMs: number;
  readonly timeoutMs: number;
  readonly warn: (message: string) => void;
  /** Replicas that must confirm each revocation (Redis WAIT) before it resolves; 0: the primary only. */
  readonly durability: { readonly replicas: number; readonly timeoutMs: number };
}

function revocationWindow(accessTtl: number, clockTolerance: number, marginMs: number): RevocationWindow {
  const horizonSeconds = accessTtl + clockTolerance;
  return { horizonSeconds, windowMs: Math.ceil(horizonSeconds * 1000 + marginMs) };
}

export function resolveMemoryOptions(options: unknown): ResolvedCommon {
  const value = parseOptions(memorySchema, options, 'memory denylist options');
  return {
    ...revocationWindow(value.accessTtl, value.clockTolerance, 5000),
    clock: checkedClock(value.clock),
    maxViewEntries: value.maxViewEntries,
  };
}

export function resolveRedisOptions<Client>(options: unknown): ResolvedRedisOptions<Client> {
  const value = parseOptions(redisSchema, options, 'denylist options');
  const maxStalenessMs = Math.round(value.maxStaleness * 1000);
  return {
    client: value.client as Client,
    prefix: value.prefix,
    shards: value.shards,
    reshardFrom: value.reshardFrom,
    ...revocationWindow(value.accessTtl, value.clockTolerance, Math.max(5000, maxStalenessMs)),
    clock: checkedClock(value.clock),
    maxViewEntries: value.maxViewEntries,
    maxStalenessMs,
    timeoutMs: value.timeoutMs,
    warn: value.onWarning ?? ((message) => platform.warn(message, 'TESSERA_DENYLIST')),
    durability: value.durability,
  };
}
