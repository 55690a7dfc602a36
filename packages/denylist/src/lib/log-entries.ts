import { isRevocableId } from './ids.js';
import type { Revocation } from './view.js';

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * A log entry to a revocation; undefined for an entry we did not write (skipped, never trusted to
 * un-revoke anything: entries only ever add revocations).
 */
export function toRevocation(entry: StreamEntry): Revocation | undefined {
  const fields = entry[1];
  let kind: string | undefined;
  let id: string | undefined;
  let epoch = Number.NaN;
  let at = Number.NaN;
  for (let n = 0; n + 1 < fields.length; n += 2) {
    const value = fields[n + 1]!;
    switch (fields[n]) {
      case 't':
        kind = value;
        break;
      case 'id':
        id = value;
        break;
      case 'e':
        epoch = Number(value);
        break;
      case 'a':
        at = Number(value);
        break;
    }
  }
  if (!isRevocableId(id) || !Number.isSafeInteger(at)) return undefined;
  if (kind === 'u' && Number.isSafeInteger(epoch) && epoch > 0) return { kind: 'user', sub: id, epoch, at };
  if (kind === 's') return { kind: 'session', sid: id, at };
  return undefined;
}
