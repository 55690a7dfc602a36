import type { DenylistKeys } from './keys.js';
import { originCandidate, originTime } from './keys.js';

/** A client with the origin script defined on it as `tesseraDlOrigin` (see src/lua/origin.lua). */
export interface OriginScript {
  tesseraDlOrigin(
    origin: string,
    window: string,
    seq: string,
    migrating: string,
    candidate: string,
    windowMs: number,
    inherit: string,
  ): Promise<[origin: string, seq: number, movedUnmigrated: number]>;
}

/**
 * Declares `windowMs` and reads the shard's origin, creating it when missing: as `inherit` when a
 * migration creates the shard (`''` otherwise). Resolves the origin and whether it just moved because
 * a migration never copied the shard (origin.lua).
 */
export async function readOrigin(
  redis: OriginScript,
  keys: DenylistKeys,
  windowMs: number,
  inherit: string,
): Promise<{ origin: string; movedUnmigrated: boolean }> {
  const [origin, , moved] = await redis.tesseraDlOrigin(
    keys.origin,
    keys.window,
    keys.seq,
    keys.migrating,
    originCandidate(),
    windowMs,
    inherit,
  );
  return { origin, movedUnmigrated: Number(moved) === 1 };
}

/**
 * The origin a new layout's shards inherit from the layout they replace: the latest of its shards'
 * (every revocation a new shard's users could need is at least that recent there). `''` for none.
 */
export function latestOrigin(origins: readonly string[]): string {
  return origins.reduce(
    (latest, origin) => (latest === '' || originTime(origin, 0) > originTime(latest, 0) ? origin : latest),
    '',
  );
}
