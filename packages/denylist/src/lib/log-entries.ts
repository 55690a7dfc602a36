import { isRevocableId } from './ids.js';
import type { Revocation } from './view.js';

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`. */
export type StreamEntry = [id: string, fields: string[]];

const USER = /^(\d{1,16}):(\d{1,16}):/;
const SESSION = /^(\d{1,16}):/;

/**
 * A log entry (see scripts.ts: `u` = `<at>:<epoch>:<sub>`, `s` = `<at>:<sid>`) to a revocation;
 * undefined for an entry we did not write. Unknown entries are skipped: entries only ever add
 * revocations, so skipping one can never un-revoke anything it did not itself revoke.
 */
export function toRevocation(entry: StreamEntry): Revocation | undefined {
  const [field, value] = entry[1];
  if (value === undefined) return undefined;
  if (field === 'u') {
    const match = USER.exec(value);
    if (match === null) return undefined;
    const sub = value.slice(match[0].length);
    const at = Number(match[1]);
    const epoch = Number(match[2]);
    if (!isRevocableId(sub) || !Number.isSafeInteger(at) || !(Number.isSafeInteger(epoch) && epoch > 0))
      return undefined;
    return { kind: 'user', sub, epoch, at };
  }
  if (field === 's') {
    const match = SESSION.exec(value);
    if (match === null) return undefined;
    const sid = value.slice(match[0].length);
    const at = Number(match[1]);
    if (!isRevocableId(sid) || !Number.isSafeInteger(at)) return undefined;
    return { kind: 'session', sid, at };
  }
  return undefined;
}
