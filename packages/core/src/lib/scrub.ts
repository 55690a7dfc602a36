/**
 * A copy of an underlying error that is safe to keep as the `cause` of a `TesseraError`: its name,
 * its `code`, `errno`, `syscall`, `address` and `port` (what tells ECONNREFUSED from NOAUTH), and its
 * message with credentials and tokens masked. Nothing else is copied: ioredis errors carry the
 * command and its arguments (session keys, subjects, an AUTH password), and a cause chain could
 * carry anything.
 */
export function scrubbedCause(error: unknown): Error | undefined {
  if (error === undefined || error === null) return undefined;
  const source = error as Partial<
    Record<'name' | 'message' | 'code' | 'errno' | 'syscall' | 'address' | 'port', unknown>
  >;
  const copy = new Error(scrubText(typeof source.message === 'string' ? source.message : String(error)));
  copy.name = typeof source.name === 'string' ? scrubText(source.name).slice(0, 64) : 'Error';
  const extra = copy as Error & Record<string, unknown>;
  for (const field of ['code', 'errno', 'syscall', 'address', 'port'] as const) {
    const value = source[field];
    if (typeof value === 'number' || typeof value === 'string')
      extra[field] = typeof value === 'string' ? scrubText(value) : value;
  }
  return copy;
}

/** URL userinfo (`redis://user:password@host`), `AUTH`/`password` arguments, JWTs, refresh tokens, long base64url runs. */
const SECRETS: readonly [RegExp, string][] = [
  [/\/\/[^/\s@]*@/g, '//***@'],
  [/\b(AUTH|password|pass|secret|token)(\s*[=:]\s*|\s+)\S+/gi, '$1$2***'],
  [/[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{8,}/g, '[token]'],
  [/rt1\.\S+/g, '[token]'],
  [/[A-Za-z0-9+/_-]{32,}={0,2}/g, '[redacted]'],
];

/** Masks what could be a credential or a token in a message; at most 512 characters. */
export function scrubText(text: string): string {
  let result = text.slice(0, 4096);
  for (const [pattern, replacement] of SECRETS) result = result.replace(pattern, replacement);
  return result.slice(0, 512);
}
