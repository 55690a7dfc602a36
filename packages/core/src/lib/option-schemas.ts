import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { ConfigError } from '../errors.js';

/**
 * What every package's options share: one formatter from zod to `ConfigError`, and one schema per
 * shared kind of option. Each fact lives here once (the `@tessera/core/internal` kit).
 *
 * Written with `zod/mini`, the tree-shakable form of zod, because core runs on the edge where bundle
 * size counts (`docs/benchmarks.md`: the edge bundle); the other packages embed these schemas in
 * their classic-zod ones (zod's two forms share one core). Messages come from zod's English locale.
 */
z.config(en());

/** Parses `options` with `schema`; a failure is a `ConfigError` naming every problem by path and rule, never by value. */
export function parseOptions<T>(schema: z.core.$ZodType<T>, options: unknown, what: string): T {
  const parsed = z.safeParse(schema, options ?? {});
  if (parsed.success) return parsed.data;
  throw optionsError(parsed.error, what);
}

/** A zod error as a `ConfigError` listing paths and rules only (zod never quotes the value). */
export function optionsError(error: z.core.$ZodError, what: string): ConfigError {
  const problems = error.issues.map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`);
  return new ConfigError(`invalid ${what}: ${problems.join('; ')}`, {
    reason: 'invalid_options',
    claim: error.issues[0]?.path.join('.'),
  });
}

/** A function option (`clock`, `events`, hooks). */
export function functionOption<F extends (...args: never[]) => unknown>(what: string) {
  return z.custom<F>((value) => typeof value === 'function', `${what} must be a function`);
}

/** The injected clock of every package: current time in ms (read through `checkedClock`). */
export const clockOption = z.optional(functionOption<() => number>('clock'));

/**
 * An object that implements `methods`. Each package passes exactly the methods it calls on that
 * object (its test holds the list to the source), so a missing one is `ERR_CONFIG` at construction,
 * never a 500 at request time.
 */
export function serviceOption<T extends object>(what: string, methods: readonly string[]) {
  return z.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function'),
    `${what} must provide ${methods.join(', ')}`,
  );
}

/** Key prefix of the Redis stores: no braces (hash tags are ours), no spaces. */
export const KEY_PREFIX = /^[A-Za-z0-9_:.-]{1,64}$/;
export const KEY_PREFIX_RULE = 'prefix must be 1-64 characters of [A-Za-z0-9_:.-]';

/** Clock tolerance in seconds, as core and the denylist both take it: finite, 0 to 60, fractions allowed. */
export const clockToleranceOption = z._default(z.number().check(z.minimum(0), z.maximum(60)), 5);
