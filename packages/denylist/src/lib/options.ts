import { ConfigError } from '@tessera/core';
import { checkedClock } from '@tessera/core/internal';
import { z } from 'zod';

const PREFIX = /^[A-Za-z0-9_:.-]{1,64}$/;

const clock = z
  .custom<() => number>((value) => typeof value === 'function', 'clock must be a function')
  .optional();

const common = {
  /** Lifetime of access tokens, seconds (core's `ttl`, default 900, at most 3600). */
  accessTtl: z.number().int().min(1).max(3600).default(900),
  /** Core's `clockTolerance`, seconds (default 5, at most 60; fractions allowed, as in core). */
  clockTolerance: z.number().min(0).max(60).default(5),
  clock,
};

const memorySchema = z.strictObject(common);

const redisSchema = z.strictObject({
  ...common,
  client: z.custom<object>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { duplicate?: unknown }).duplicate === 'function' &&
      typeof (value as { defineCommand?: unknown }).defineCommand === 'function',
    'client must be an ioredis Redis or Cluster',
  ),
  prefix: z.string().regex(PREFIX, 'prefix must be 1-64 characters of [A-Za-z0-9_:.-]').default('tessera:dl'),
  maxStaleness: z.number().min(0.05).max(60).default(5),
  timeoutMs: z.number().int().min(1).max(60_000).default(2000),
  onWarning: z
    .custom<(message: string) => void>((value) => typeof value === 'function', 'onWarning must be a function')
    .optional(),
  durability: z
    .strictObject({
      replicas: z.number().int().min(0).max(16),
      timeoutMs: z.number().int().min(1).max(60_000).default(500),
    })
    .default({ replicas: 0, timeoutMs: 500 }),
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
}

export interface ResolvedRedisOptions<Client> extends ResolvedCommon {
  readonly client: Client;
  readonly prefix: string;
  readonly maxStalenessMs: number;
  readonly timeoutMs: number;
  readonly warn: (message: string) => void;
  /** Replicas that must confirm each revocation (Redis WAIT) before it resolves; 0: the primary only. */
  readonly durability: { readonly replicas: number; readonly timeoutMs: number };
}

function parse<T>(schema: z.ZodType<T>, options: unknown, what: string): T {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`,
  );
  throw new ConfigError(`invalid ${what} options: ${problems.join('; ')}`, {
    reason: 'invalid_options',
    claim: parsed.error.issues[0]?.path.join('.'),
  });
}

function revocationWindow(accessTtl: number, clockTolerance: number, marginMs: number): RevocationWindow {
  const horizonSeconds = accessTtl + clockTolerance;
  return { horizonSeconds, windowMs: Math.ceil(horizonSeconds * 1000 + marginMs) };
}

export function resolveMemoryOptions(options: unknown): ResolvedCommon {
  const value = parse(memorySchema, options, 'memory denylist');
  return {
    ...revocationWindow(value.accessTtl, value.clockTolerance, 5000),
    clock: checkedClock(value.clock),
  };
}

export function resolveRedisOptions<Client>(options: unknown): ResolvedRedisOptions<Client> {
  const value = parse(redisSchema, options, 'denylist');
  const maxStalenessMs = Math.round(value.maxStaleness * 1000);
  return {
    client: value.client as Client,
    prefix: value.prefix,
    ...revocationWindow(value.accessTtl, value.clockTolerance, Math.max(5000, maxStalenessMs)),
    clock: checkedClock(value.clock),
    maxStalenessMs,
    timeoutMs: value.timeoutMs,
    warn: value.onWarning ?? ((message) => process.emitWarning(message, { code: 'TESSERA_DENYLIST' })),
    durability: value.durability,
  };
}
