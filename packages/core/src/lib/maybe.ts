/**
 * A value now, or a promise of it: what the platform's crypto answers (Node: now; WebCrypto: later).
 * Code that runs on both keeps Node's path free of promises and awaits only what is one.
 */
export type Maybe<T> = T | Promise<T>;

/** True when `value` is a promise (a thenable). */
export function isPromise<T>(value: Maybe<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** `next(value)`, now when `value` is, later when it is a promise. */
export function andThen<T, U>(value: Maybe<T>, next: (resolved: T) => Maybe<U>): Maybe<U> {
  return isPromise(value) ? value.then(next) : next(value);
}

/** Every value, now when all are, else a promise of all. */
export function allOf<T>(values: readonly Maybe<T>[]): Maybe<T[]> {
  return values.some(isPromise) ? Promise.all(values) : (values as T[]);
}
