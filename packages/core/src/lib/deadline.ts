import { platform } from './platform/index.js';

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

/** One pending call's way out: whichever of its result, its failure or its deadline comes first wins. */
export interface Tracked<R> {
  resolve(value: R): void;
  reject(error: unknown): void;
}

export interface Deadlines {
  /**
   * Tracks a call settled through the returned {@link Tracked} (by the caller) or by its deadline
   * (with a TimeoutError); `settled` is called once, whichever comes first. What comes after is
   * ignored.
   */
  track<R>(resolve: (value: R) => void, reject: (error: unknown) => void, settled?: () => void): Tracked<R>;
  /**
   * `map` of `operation`'s result, or a TimeoutError once its deadline passed; `settled` as for
   * {@link Deadlines.track}. (Both are applied here rather than by a `.then` of the caller: one
   * promise fewer on every store call.)
   */
  within<T, R = T>(operation: Promise<T>, map?: (value: T) => R, settled?: () => void): Promise<R>;
}

class Pending<R> implements Tracked<R> {
  constructor(
    readonly deadline: number,
    private readonly pending: Set<Pending<unknown>>,
    private readonly onValue: (value: R) => void,
    private readonly onError: (error: unknown) => void,
    private readonly settled: (() => void) | undefined,
  ) {}

  resolve(value: R): void {
    if (!this.pending.delete(this as Pending<unknown>)) return;
    this.settled?.();
    this.onValue(value);
  }

  reject(error: unknown): void {
    if (!this.pending.delete(this as Pending<unknown>)) return;
    this.settled?.();
    this.onError(error);
  }
}

export function createDeadlines(timeoutMs: number): Deadlines {
  const pending = new Set<Pending<unknown>>();
  let cancel: (() => void) | undefined;

  function sweep(): void {
    const now = performance.now();
    for (const entry of pending) if (now >= entry.deadline) entry.reject(new TimeoutError(timeoutMs));
    if (pending.size === 0 && cancel !== undefined) {
      cancel();
      cancel = undefined;
    }
  }

  function track<R>(
    resolve: (value: R) => void,
    reject: (error: unknown) => void,
    settled?: () => void,
  ): Tracked<R> {
    const entry = new Pending<R>(performance.now() + timeoutMs, pending, resolve, reject, settled);
    pending.add(entry as Pending<unknown>);
    if (cancel === undefined) cancel = platform.every(Math.max(1, Math.ceil(timeoutMs / 4)), sweep);
    return entry;
  }

  return {
    track,
    within<T, R = T>(operation: Promise<T>, map?: (value: T) => R, settled?: () => void): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        const call = track(resolve, reject, settled);
        operation.then(
          (value) => {
            if (map === undefined) return call.resolve(value as unknown as R);
            let mapped: R;
            try {
              mapped = map(value);
            } catch (error) {
              return call.reject(error);
            }
            call.resolve(mapped);
          },
          (error: unknown) => call.reject(error),
        );
      });
    },
  };
}
