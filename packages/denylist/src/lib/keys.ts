import { platform, sha256Name } from '@tessera/core/internal';

/**
 * Key names. Every key carries the prefix as its hash tag, so all of them share one Cluster slot.
 * A user id enters a key name only as its SHA-256 (base64url): any bytes, fixed length, no `{`, `:`
 * or `*` of its own. (Ids are checked to be well-formed UTF-16 first, so no two map to one key.)
 */
export interface DenylistKeys {
  readonly origin: string;
  readonly log: string;
  /** Revocations ever logged: only grows, so a lower value means lost data. */
  readonly seq: string;
  /** The largest log window (ms) any process of this prefix declared. */
  readonly window: string;
  /** The run_id of the Redis process last seen serving this dataset. */
  readonly server: string;
  epoch(sub: string): string;
  /** The user's session floor (see `Denylist.epochs`). */
  floor(sub: string): string;
}

export function denylistKeys(prefix: string): DenylistKeys {
  const tag = `{${prefix}}`;
  return {
    origin: `${tag}:origin`,
    log: `${tag}:log`,
    seq: `${tag}:seq`,
    window: `${tag}:window`,
    server: `${tag}:server`,
    epoch: (sub) => `${tag}:e:${sha256Name(sub)}`,
    floor: (sub) => `${tag}:f:${sha256Name(sub)}`,
  };
}

/**
 * The random part of a new origin (64 bits, hex): two resets never look alike. The time part is
 * Redis's own (TIME in the script), never a client clock.
 */
export function originCandidate(): string {
  return hex(platform.randomBytes(8));
}

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

/** The time (ms) an origin began. */
export function originTime(origin: string, now: number): number {
  const ms = Number(origin.slice(0, origin.indexOf(':')));
  // A malformed origin (someone wrote the key by hand) counts as "now": the safe side.
  return origin.includes(':') && Number.isSafeInteger(ms) && ms > 0 ? ms : now;
}
