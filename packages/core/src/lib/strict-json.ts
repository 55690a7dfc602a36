import { isUtf8 } from 'node:buffer';

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

/** Parses UTF-8 bytes as a strict JSON object. */
export function parseStrictJsonObject(bytes: Uint8Array): StrictJsonResult {
  if (!isUtf8(bytes)) return { ok: false, failure: 'utf8' };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
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
  return failure === undefined ? { ok: true, value: value as Record<string, unknown> } : { ok: false, failure };
}

/**
 * Checks a text that `JSON.parse` already accepted (and its parsed value) for duplicate keys,
 * `__proto__` keys and excessive depth. Since the text is valid JSON, a string followed by `:` is
 * exactly an object key, so duplicates exist iff the text names more keys than the value holds.
 */
export function checkKeys(text: string, value: unknown): StrictJsonFailure | undefined {
  let depth = 0;
  let keys = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const start = i;
      let escaped = false;
      // Find the closing quote: one not preceded by an odd run of backslashes.
      for (;;) {
        i = text.indexOf('"', i + 1);
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes > 0) escaped = true;
        if ((backslashes & 1) === 0) break;
      }
      let next = i + 1;
      while (isJsonSpace(text.charCodeAt(next))) next++;
      if (text.charCodeAt(next) === 0x3a) {
        keys++;
        if (isProtoKey(text, start, i, escaped)) return 'proto_key';
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return 'too_deep';
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return keys === countKeys(value) ? undefined : 'duplicate_key';
}

function isProtoKey(text: string, start: number, end: number, escaped: boolean): boolean {
  if (!escaped) return end - start === 10 && text.startsWith('__proto__', start + 1);
  return JSON.parse(text.slice(start, end + 1)) === '__proto__';
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (Array.isArray(value)) {
    let total = 0;
    for (const item of value) total += countKeys(item);
    return total;
  }
  const keys = Object.keys(value);
  let total = keys.length;
  for (const key of keys) total += countKeys((value as Record<string, unknown>)[key]);
  return total;
}
