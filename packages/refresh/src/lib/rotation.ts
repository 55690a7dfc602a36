import type { RotatedSession, RotateOutcome, RotateRequest, SessionRecord } from '../store.js';
import type { Mutable } from './mutable.js';

/**
 * The rotation state machine (docs/refresh-tokens.md) as a pure function: the outcome for `record` and,
 * when the record changes, its next state. The memory store runs it inside its critical section; the
 * Redis store runs the same rules in Lua (src/lua/rotate.lua), and one contract suite holds both to them.
 *
 * Order matters: an unknown or foreign nonce never touches the record; a revoked session stays
 * revoked; an expired one is reported as such before reuse is judged.
 */
export function decideRotation(
  record: SessionRecord | undefined,
  request: RotateRequest,
): { outcome: RotateOutcome; next?: SessionRecord } {
  if (record === undefined || record.nonceDigest !== request.nonceDigest)
    return { outcome: { status: 'unknown' } };
  // Security: a bound session moves only for a proof by its key. Before anything else, so that a
  // thief without the key learns nothing of the session and changes nothing (RFC 9449 section 5).
  if (record.jkt !== undefined && request.jkt !== record.jkt)
    return { outcome: { status: 'key_mismatch', session: summary(record, request) } };
  if (record.revokedAt !== undefined)
    return { outcome: { status: 'revoked', session: summary(record, request) } };
  const { now } = request;
  if (now >= record.absoluteExpiresAt)
    return { outcome: { status: 'expired', session: summary(record, request), reason: 'absolute' } };
  if (now >= record.idleExpiresAt)
    return { outcome: { status: 'expired', session: summary(record, request), reason: 'idle' } };
  if (request.generation === record.generation) {
    // Field by field rather than `{ ...record }`: this is the hot path, and a live record has no
    // revocation fields to carry over.
    const next: Mutable<SessionRecord> = {
      sessionId: record.sessionId,
      sub: record.sub,
      generation: record.generation + 1,
      nonceDigest: record.nonceDigest,
      secretId: record.secretId,
      createdAt: record.createdAt,
      lastUsedAt: now,
      rotatedAt: now,
      absoluteExpiresAt: record.absoluteExpiresAt,
      idleExpiresAt: Math.min(now + request.idleTtlMs, record.absoluteExpiresAt),
      meta: request.meta === undefined ? record.meta : { ...record.meta, ...definedOnly(request.meta) },
    };
    if (record.epoch !== undefined) next.epoch = record.epoch;
    if (record.jkt !== undefined) next.jkt = record.jkt;
    return { outcome: { status: 'rotated', session: summary(next, request, record.meta) }, next };
  }
  if (request.generation === record.generation - 1 && now < record.rotatedAt + request.graceMs) {
    return { outcome: { status: 'retry', session: summary(record, request) } };
  }
  // A generation ahead of the record was issued by a rotation the store no longer holds (lost data):
  // the store cannot vouch for the chain, so the session ends. Not theft: no reuse is reported.
  if (request.generation > record.generation) {
    const next: SessionRecord = { ...record, revokedAt: now, revokedReason: 'store_behind' };
    return { outcome: { status: 'revoked', session: summary(next, request) }, next };
  }
  // Any other generation is a token we issued and then superseded: it was used before. Theft.
  const next: SessionRecord = { ...record, revokedAt: now, revokedReason: 'reuse' };
  return { outcome: { status: 'reused', session: summary(next, request) }, next };
}

/** What the outcome reports of `record`; `previousMeta` (the stored meta before this call) only when the request carried meta. */
function summary(record: SessionRecord, request: RotateRequest, previous = record.meta): RotatedSession {
  // Built by assignment rather than conditional spreads: this runs on every rotation.
  const session: Mutable<RotatedSession> = {
    sub: record.sub,
    generation: record.generation,
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    idleExpiresAt: record.idleExpiresAt,
  };
  if (record.epoch !== undefined) session.epoch = record.epoch;
  if (record.revokedAt !== undefined) session.revokedReason = record.revokedReason ?? 'revoked';
  if (request.meta !== undefined) session.previousMeta = previous;
  if (record.jkt !== undefined) session.jkt = record.jkt;
  return session;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
