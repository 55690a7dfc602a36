/**
 * `@tessera/denylist`: instant revocation of access tokens. Per-user epochs and per-session
 * revocations, checked in memory on every verify and fed from Redis (or kept in memory for a single
 * process). Implements core's `RevocationCheck`; also the Redis replay cache of DPoP proofs.
 * @packageDocumentation
 */
export { createDenylist } from './create-denylist.js';
export { createMemoryDenylist } from './create-memory-denylist.js';
export { createRedisReplayCache, type RedisReplayCacheOptions } from './create-redis-replay-cache.js';
export { type DenylistMigration, migrateDenylist } from './migrate-denylist.js';
export type {
  Denylist,
  DenylistOptions,
  DenylistStatus,
  DenylistTimingOptions,
  MemoryDenylistOptions,
  RevokeUserOptions,
  UserEpochs,
} from './types.js';
export { waitForRedis } from './wait-for-redis.js';
