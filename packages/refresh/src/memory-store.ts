import { checkedClock } from '@tessera/core/internal';
import { decideRotation } from './lib/rotation.js';
import type { RefreshStore, RotateOutcome, RotateRequest, SessionRecord } from './store.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Current time in ms, used only to sweep expired sessions. Default `Date.now`. */
  readonly clock?: () => number;
}

/** A memory store, plus what tests and dumps need to inspect it. */
export interface MemoryStore extends RefreshStore {
  /** Number of session records held (live, revoked or expired but not yet swept). */
  readonly size: number;
  /** Removes every record whose absolute lifetime is over; returns how many. */
  sweep(): number;
  /** A JSON-safe copy of every record, for debugging and audits (it holds no token). */
  dump(): readonly SessionRecord[];
}

/** Records examined per write by the incremental sweep. */
const SWEEP_STEP = 4;

/**
 * The embedded store for one process. Every operation's read-check-write runs with no `await` in
 * between, so it is atomic without locks. Records are kept until their absolute expiry (revoked ones
 * too, so a replay still answers "revoked"). Each write also examines the next `SWEEP_STEP`
 * records of a rolling cursor and drops those past their absolute expiry: constant work per write,
 * and every record is visited once per `size / SWEEP_STEP` writes, so memory stays bounded by the
 * sessions alive in one absolute lifetime (plus one sweep cycle).
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = checkedClock(options.clock);
  const sessions = new Map<string, SessionRecord>();
  /** Per subject, session ids in creation order (oldest first). */
  const bySubject = new Map<string, Set<string>>();
  let cursor = sessions.keys();

  function remove(sessionId: string): void {
    const record = sessions.get(sessionId);
    if (record === undefined) return;
    sessions.delete(sessionId);
    const ids = bySubject.get(record.sub);
    ids?.delete(sessionId);
    if (ids?.size === 0) bySubject.delete(record.sub);
  }

  function sweep(): number {
    const now = clock();
    let removed = 0;
    for (const [id, record] of sessions) {
      if (now >= record.absoluteExpiresAt) {
        remove(id);
        removed++;
      }
    }
    return removed;
  }

  /** Examines the next few records of the rolling cursor (deleting from a Map during iteration is safe). */
  function maybeSweep(): void {
    const now = clock();
    for (let step = 0; step < SWEEP_STEP; step++) {
      const next = cursor.next();
      if (next.done) {
        cursor = sessions.keys();
        return;
      }
      const record = sessions.get(next.value);
      if (record !== undefined && now >= record.absoluteExpiresAt) remove(next.value);
    }
  }

  /** The owner's session ids, oldest first: by creation time, then by id (as the Redis store orders them). */
  function ordered(sub: string): string[] {
    const ids = [...(bySubject.get(sub) ?? [])];
    return ids.sort(
      (a, b) => sessions.get(a)!.createdAt - sessions.get(b)!.createdAt || (a < b ? -1 : a > b ? 1 : 0),
    );
  }

  const isLive = (record: SessionRecord, now: number) =>
    record.revokedAt === undefined && now < record.absoluteExpiresAt && now < record.idleExpiresAt;

  return {
    get size() {
      return sessions.size;
    },
    sweep,
    dump: () => [...sessions.values()].map((record) => structuredClone(record)),

    async create(record, maxSessions) {
      maybeSweep();
      sessions.set(record.sessionId, record);
      let ids = bySubject.get(record.sub);
      if (ids === undefined) {
        ids = new Set();
        bySubject.set(record.sub, ids);
      }
      ids.add(record.sessionId);
      const evicted: string[] = [];
      // Oldest first: drop expired and revoked records, then evict live ones beyond the cap.
      for (const id of ordered(record.sub)) {
        if (id !== record.sessionId && !isLive(sessions.get(id)!, record.createdAt)) remove(id);
      }
      for (const id of ordered(record.sub)) {
        if (ids.size <= maxSessions) break;
        remove(id);
        evicted.push(id);
      }
      return evicted;
    },

    async rotate(request: RotateRequest): Promise<RotateOutcome> {
      const { outcome, next } = decideRotation(sessions.get(request.sessionId), request);
      if (next !== undefined) {
        sessions.set(next.sessionId, next);
        maybeSweep();
      }
      return outcome;
    },

    async revoke(sessionId, reason, now, owner) {
      const record = sessions.get(sessionId);
      if (record === undefined || !isLive(record, now)) return false;
      if (owner !== undefined && record.sub !== owner) return false;
      sessions.set(sessionId, { ...record, revokedAt: now, revokedReason: reason });
      return true;
    },

    async revokeAll(sub, except, reason, now) {
      const revoked: string[] = [];
      for (const id of ordered(sub)) {
        const record = sessions.get(id)!;
        if (except.includes(id) || !isLive(record, now)) continue;
        sessions.set(id, { ...record, revokedAt: now, revokedReason: reason });
        revoked.push(id);
      }
      return revoked;
    },

    async list(sub, now) {
      return ordered(sub)
        .map((id) => sessions.get(id)!)
        .filter((record) => isLive(record, now));
    },
  };
}
