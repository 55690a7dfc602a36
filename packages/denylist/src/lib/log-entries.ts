import { isRevocableId } from './ids.js';
import type { Revocation } from './view.js';

/** A stream entry as ioredis returns it: `[id, [field, value, ...]]`. */
export type StreamEntry = [id: string, fields: string[]];

const USER = /^(\d{1,16}):(\d{1,16}):/;
const SESSION = /^(\d{1,16}):/;
const STREAM_ID = /^(\d{1,16})-\d{1,20}$/;

/**
 * A log entry (see src/lua/revoke-user.lua and revoke-session.lua) to a revocation. Entry versions: `u1` = `<at>:<epoch>:<sub>` and
 * `s1` = `<at>:<sid>`; `u` and `s` (the same values, written before entries carried a version) are
 * read alike.
 *
 * Security: an entry of an unknown version, or one that does not parse, may be a revocation we
 * cannot read, so it fails closed: it becomes an `unknown` revocation at the entry's stream time,
 * which rejects every token issued before it (see `RevocationView.apply`). Skipping it would let a
 * token it revoked through. Undefined only for an entry whose stream id itself is unreadable.
 */
export function toRevocation(entry: StreamEntry): Revocation | undefined {
  const [id, fields] = entry;
  const [field, value] = Array.isArray(fields) ? fields : [];
  const parsed = typeof value === 'string' ? parse(field, value) : undefined;
  if (parsed !== undefined) return parsed;
  const streamMs = STREAM_ID.exec(typeof id === 'string' ? id : '');
  if (streamMs === null) return undefined;
  return { kind: 'unknown', at: Number(streamMs[1]) };
}

function parse(field: string | undefined, value: string): Revocation | undefined {
  if (field === 'u1' || field === 'u') {
    const match = USER.exec(value);
    if (match === null) return undefined;
    const sub = value.slice(match[0].length);
    const at = Number(match[1]);
    const epoch = Number(match[2]);
    if (!isRevocableId(sub) || !Number.isSafeInteger(at) || !(Number.isSafeInteger(epoch) && epoch > 0))
      return undefined;
    return { kind: 'user', sub, epoch, at };
  }
  if (field === 's1' || field === 's') {
    const match = SESSION.exec(value);
    if (match === null) return undefined;
    const sid = value.slice(match[0].length);
    const at = Number(match[1]);
    if (!isRevocableId(sid) || !Number.isSafeInteger(at)) return undefined;
    return { kind: 'session', sid, at };
  }
  return undefined;
}
