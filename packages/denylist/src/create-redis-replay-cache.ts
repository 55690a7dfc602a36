import type { ReplayCache } from '@tessera/core';
import { UnavailableError } from '@tessera/core';
import {
  createDeadlines,
  KEY_PREFIX,
  KEY_PREFIX_RULE,
  parseOptions,
  scrubbedCause,
  serviceOption,
  sha256Name,
} from '@tessera/core/internal';
import { z } from 'zod';

/** What the replay cache calls on its ioredis client (a `Redis` or a `Cluster`). */
const CLIENT_METHODS = ['set'] as const;

/** Options of {@link createRedisReplayCache}. */
export interface RedisReplayCacheOptions {
  /** An ioredis `Redis` or `Cluster` client. */
  readonly client: object;
  /** Key prefix (default `tessera:dpop`); the fleet's verifiers share it. */
  readonly prefix?: string;
  /** Longest wait for Redis, in ms (default 500); past it the proof is refused as `ERR_UNAVAILABLE`. */
  readonly timeoutMs?: number;
}

const schema = z.strictObject({
  client: serviceOption<{ set(...args: unknown[]): Promise<unknown> }>(
    'client (an ioredis Redis or Cluster)',
    CLIENT_METHODS,
  ),
  prefix: z.string().regex(KEY_PREFIX, KEY_PREFIX_RULE).default('tessera:dpop'),
  timeoutMs: z.number().int().min(1).max(60_000).default(500),
});

/**
 * A DPoP replay cache on Redis, for `createDpopVerifier({ replay })`: one `SET key 1 PX ttl NX` per
 * proof, so a proof accepted by one verifier of a fleet is refused by every other. One key per
 * command, so any Redis Cluster layout works. The key is a hash of the key thumbprint and the
 * proof's `jti` (fixed length, whatever the client sends), and it expires with the proof's window.
 * Redis unreachable or slow: the proof is refused as `ERR_UNAVAILABLE` (fail closed).
 *
 * @example
 * ```ts
 * const dpop = createDpopVerifier({ replay: createRedisReplayCache({ client: new Redis(url) }) });
 * ```
 */
export function createRedisReplayCache(options: RedisReplayCacheOptions): ReplayCache {
  const { client, prefix, timeoutMs } = parseOptions(schema, options, 'replay cache options');
  const deadlines = createDeadlines(timeoutMs);
  return Object.freeze({
    async remember(id: string, ttlMs: number): Promise<boolean> {
      const ttl = Math.max(1, Math.ceil(ttlMs));
      try {
        // 22 characters of SHA-256: 132 bits, no collision in any proof window.
        const reply = await deadlines.within(
          client.set(`${prefix}:${sha256Name(id, 22)}`, '1', 'PX', ttl, 'NX'),
        );
        return reply === 'OK';
      } catch (error) {
        throw new UnavailableError('the DPoP replay cache (Redis) is unavailable', {
          reason: 'redis',
          cause: scrubbedCause(error),
        });
      }
    },
  });
}
