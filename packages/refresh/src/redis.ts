/**
 * `@tessera/refresh/redis`: the Redis store (ioredis is a peer dependency).
 * @packageDocumentation
 */
export { createRedisStore, type RedisStoreOptions } from './redis-store.js';
