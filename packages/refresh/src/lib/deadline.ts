/**
 * Deadlines for store calls without a timer per call: one shared, unref'd interval sweeps the
 * pending calls every quarter of the timeout, so a call fails at most 1.25 x `timeoutMs` after it
 * started. (A `setTimeout` plus `Promise.race` per call cost more than a tenth of a Redis rotation.)
 */
export class TimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the operation did not complete within ${timeoutMs} ms`);
    this.name = 'TimeoutError';
  }
}

interface Pending {
  readonly deadline: number;
  readonly reject: (error: Error) => void;
  readonly settled: (() => void) | undefined;
}

/**
 * Returns `within(operation, map, settled)`: `map` of the operation's result, or a TimeoutError once
 * its deadline passed; `settled` is called once, when the operation settles or times out. (Both are
 * applied here rather than by a `.then` of the caller: one promise fewer on every store call.)
 */
export function createDeadlines(
  timeoutMs: number,
): <T, R = T>(operation: Promise<T>, map?: (value: T) => R, settled?: () => void) => Promise<R> {
  const pending = new Set<Pending>();
  let timer: NodeJS.Timeout | undefined;

  function sweep(): void {
    const now = performance.now();
    for (const entry of pending) {
      if (now >= entry.deadline) {
        pending.delete(entry);
        entry.settled?.();
        entry.reject(new TimeoutError(timeoutMs));
      }
    }
    if (pending.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return function within<T, R = T>(
    operation: Promise<T>,
    map?: (value: T) => R,
    settled?: () => void,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry: Pending = { deadline: performance.now() + timeoutMs, reject, settled };
      pending.add(entry);
      if (timer === undefined) {
        timer = setInterval(sweep, Math.max(1, Math.ceil(timeoutMs / 4)));
        timer.unref();
      }
      operation.then(
        (value) => {
          // Already given up on (timed out): settled was called then.
          if (!pending.delete(entry)) return;
          settled?.();
          if (map === undefined) resolve(value as unknown as R);
          else {
            try {
              resolve(map(value));
            } catch (error) {
              reject(error);
            }
          }
        },
        (error: unknown) => {
          if (!pending.delete(entry)) return;
          settled?.();
          reject(error);
        },
      );
    });
  };
}
