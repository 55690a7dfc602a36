import { UnavailableError } from '@tessera/core';
import type { Cluster, Redis } from 'ioredis';

/**
 * Resolves once `client` is ready; rejects with `ERR_UNAVAILABLE` (reason `redis_connect`) when it
 * is not within `timeoutMs` (default 5000), naming the last connection error, or when the client
 * gives up. The start-up wait that does not hang: `client.once('ready', ...)` alone waits forever
 * when Redis is down.
 *
 * @example
 * ```ts
 * const client = new Redis(url, { enableOfflineQueue: false });
 * await waitForRedis(client, { timeoutMs: 3000 }); // "Redis is not ready after 3000 ms (connect ECONNREFUSED ...)"
 * ```
 */
export function waitForRedis(client: Redis | Cluster, options: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    return Promise.reject(new RangeError('waitForRedis: timeoutMs must be a positive number'));
  }
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = '';
    const finish = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
      if (error === undefined) resolve();
      else reject(error);
    };
    const fail = (what: string) =>
      finish(
        new UnavailableError(`Redis ${what}${lastError === '' ? '' : ` (${lastError})`}`, {
          reason: 'redis_connect',
        }),
      );
    const onReady = () => finish();
    const onError = (error: Error) => {
      lastError = error.message;
    };
    const onEnd = () => fail('closed the connection before it was ready');
    const timer = setTimeout(() => fail(`is not ready after ${timeoutMs} ms`), timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
    client.once('end', onEnd);
  });
}
