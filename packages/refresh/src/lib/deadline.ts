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
}

/** Returns `within(operation)`: the operation's result, or a TimeoutError once its deadline passed. */
export function createDeadlines(timeoutMs: number): <T>(operation: Promise<T>) => Promise<T> {
  const pending = new Set<Pending>();
  let timer: NodeJS.Timeout | undefined;

  function sweep(): void {
    const now = performance.now();
    for (const entry of pending) {
      if (now >= entry.deadline) {
        pending.delete(entry);
        entry.reject(new TimeoutError(timeoutMs));
      }
    }
    if (pending.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return function within<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: performance.now() + timeoutMs, reject };
      pending.add(entry);
      if (timer === undefined) {
        timer = setInterval(sweep, Math.max(1, Math.ceil(timeoutMs / 4)));
        timer.unref();
      }
      operation.then(
        (value) => {
          pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          pending.delete(entry);
          reject(error);
        },
      );
    });
  };
}
