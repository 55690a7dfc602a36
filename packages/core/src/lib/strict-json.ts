import { platform } from './platform/index.js';

/**
 * Strict JSON objects for JOSE headers and claim sets.
 *
 * Security: `JSON.parse` keeps the last of duplicate keys while other parsers keep the first, so a
 * token such as `{"sub":"alice","sub":"admin"}` means different things to different verifiers. It
 * also turns `__proto__` into an own property that later object spreads treat as a prototype. We
 * reject both, reject nesting deeper than {@link MAX_DEPTH}, invalid UTF-8 and anything but an object.
 */
export const MAX_DEPTH = 16;

/** Why a JSON text was refused (never echoes the text). */
export type StrictJsonFailure = 'utf8' | 'syntax' | 'not_object' | 'duplicate_key' | 'proto_key' | 'too_deep';

export type StrictJsonResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly failure: StrictJsonFailure };

/** Parses `length` UTF-8 bytes of `bytes` as a strict JSON object. */
export function parseStrictJsonObject(bytes: Uint8Array, length = bytes.length): StrictJsonResult {
  const text = platform.bytes.utf8(bytes, length);
  if (text === undefined) return { ok: false, failure: 'utf8' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the input: never keep it.
    return { ok: false, failure: 'syntax' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, failure: 'not_object' };
  }
  const failure = checkKeys(text, value);
  return failure === undefined
    ? { ok: true, value: value as Record<string, unknown> }
    : { ok: false, failure };
}

/**
 * Checks a text that `JSON.parse` accepted, and the value it produced, for duplicate keys,
 * `__proto__` keys and excessive depth, and freezes the value (every object in it) on the way.
 *
 * Since the text is valid JSON, a string followed by `:` is exactly an object key, so there are
 * duplicates iff the text names more keys than the value holds. Fast path: with no backslash in the
 * text, the colons outside strings are the text's keys, and the colons inside strings are at least
 * those the value's strings hold, so `colons(text) - colons(value strings) === keys(value)` proves
 * there is no duplicate. Otherwise (escapes, or a surplus) we count the text's keys exactly.
 */
export function checkKeys(text: string, value: unknown): StrictJsonFailure | undefined {
  const tally = { keys: 0, colons: 0 };
  try {
    walk(value, 1, tally);
  } catch (error) {
    if (error === TOO_DEEP) return 'too_deep';
    if (error === PROTO_KEY) return 'proto_key';
    throw error;
  }
  if (text.indexOf('\\') === -1 && countChar(text, ':') - tally.colons === tally.keys) return undefined;
  return countTextKeys(text) === tally.keys ? undefined : 'duplicate_key';
}

const TOO_DEEP = Symbol('too deep');
const PROTO_KEY = Symbol('proto key');

/**
 * Counts the own keys of every object in a parsed value and the colons in its strings (keys and
 * values), and freezes every object and array. Throws a private sentinel past the depth limit or on
 * a `__proto__` key.
 */
function walk(value: unknown, depth: number, tally: { keys: number; colons: number }): void {
  if (typeof value === 'string') {
    if (value.indexOf(':') !== -1) tally.colons += countChar(value, ':');
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) walk(item, depth + 1, tally);
    return;
  }
  // JSON.parse creates "__proto__" as an own data property; it is not a prototype change here, but it
  // becomes one in any consumer that copies the claims with a spread or Object.assign.
  if (Object.hasOwn(value, '__proto__')) throw PROTO_KEY;
  const keys = Object.keys(value);
  tally.keys += keys.length;
  for (const key of keys) {
    if (key.indexOf(':') !== -1) tally.colons += countChar(key, ':');
    walk((value as Record<string, unknown>)[key], depth + 1, tally);
  }
}

function countChar(text: string, char: string): number {
  let count = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) count++;
  return count;
}

/** Strings followed by `:` in a valid JSON text: its object keys, duplicates included. */
function countTextKeys(text: string): number {
  let keys = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = open;
    do close = text.indexOf('"', close + 1);
    while (isEscaped(text, close));
    let next = close + 1;
    while (isJsonSpace(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === 0x3a) keys++;
    open = text.indexOf('"', close + 1);
  }
  return keys;
}

/** True when the quote at `index` is preceded by an odd run of backslashes. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(index - 1 - backslashes) === 0x5c) backslashes++;
  return (backslashes & 1) === 1;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
