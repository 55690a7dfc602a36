import { hash, randomBytes } from 'node:crypto';

/**
 * Key names. Every key carries the prefix as its hash tag, so all of them share one Cluster slot.
 * A user id enters a key name only as its SHA-256 (base64url): any bytes, fixed length, no `{`, `:`
 * or `*` of its own. (Ids are checked to be well-formed UTF-16 first, so no two map to one key.)
 */
export interface DenylistKeys {
  readonly origin: string;
  readonly log: string;
  epoch(sub: string): string;
  /** The user's session floor (see `Denylist.epochs`). */
  floor(sub: string): string;
}

export function denylistKeys(prefix: string): DenylistKeys {
  const tag = `{${prefix}}`;
  return {
    origin: `${tag}:origin`,
    log: `${tag}:log`,
    epoch: (sub) => `${tag}:e:${hash('sha256', sub, 'base64url')}`,
    floor: (sub) => `${tag}:f:${hash('sha256', sub, 'base64url')}`,
  };
}

/** A fresh origin value: the time it began, and 64 random bits so that two resets never look alike. */
export function originCandidate(now: number): string {
  return `${now}:${randomBytes(8).toString('hex')}`;
}

/** The time (ms) an origin began. */
export function originTime(origin: string, now: number): number {
  const ms = Number(origin.slice(0, origin.indexOf(':')));
  // A malformed origin (someone wrote the key by hand) counts as "now": the safe side.
  return origin.includes(':') && Number.isSafeInteger(ms) && ms > 0 ? ms : now;
}
