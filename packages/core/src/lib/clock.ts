import { UnavailableError } from '../errors.js';

/**
 * Wraps an injected clock so that every read is a finite, non-negative number of milliseconds.
 * Security: a clock that returns `NaN`, a `Date` or a string would make every time comparison false,
 * and `now >= exp` false means "not expired": the time checks would pass. A bad read fails closed
 * with `ERR_UNAVAILABLE` (reason `clock`), like any other broken dependency.
 */
export function checkedClock(clock: (() => number) | undefined): () => number {
  if (clock === undefined) return Date.now;
  return () => {
    const now: unknown = clock();
    if (typeof now !== 'number' || !Number.isFinite(now) || now < 0) {
      throw new UnavailableError('the injected clock did not return a finite time in ms', {
        reason: 'clock',
      });
    }
    return now;
  };
}
