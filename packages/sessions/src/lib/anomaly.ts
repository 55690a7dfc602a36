import type { SessionMeta } from '@tessera/refresh';

/**
 * What changed between the device metadata stored for a session and the metadata of this request.
 * A field missing on either side is no change (a client may not send it every time).
 */
export function changedMeta(previous: SessionMeta, current: SessionMeta): ('userAgent' | 'ip')[] {
  const changed: ('userAgent' | 'ip')[] = [];
  for (const field of ['userAgent', 'ip'] as const) {
    const before = previous[field];
    const now = current[field];
    if (before !== undefined && now !== undefined && before !== now) changed.push(field);
  }
  return changed;
}
