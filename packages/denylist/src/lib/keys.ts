import { platform } from '@tessera/core/internal';

/**
 * Key names of one shard (see shards.ts). Every key carries the shard's hash tag, so all of them
 * share one Cluster slot. A user id enters a key name only as its SHA-256 name (`sha256Name`,
 * base64url): any bytes, fixed length, no `{`, `:` or `*` of its own. (Ids are checked to be
 * well-formed UTF-16 first, so no two map to one key.)
 */
export interface DenylistKeys {
  /** The shard's hash tag, braces included. */
  readonly tag: string;
  readonly origin: string;
  readonly log: string;
  /** Revocations ever logged: only grows, so a lower value means lost data. */
  readonly seq: string;
  /** The largest log window (ms) any process of this prefix declared. */
  readonly window: string;
  /** The run_id of the Redis process last seen serving this dataset. */
  readonly server: string;
  /**
   * Present while the shard's origin was inherited from the layout being migrated from and the
   * migration has not copied its data yet (see migrate-denylist.ts).
   */
  readonly migrating: string;
  /** The epoch key of the user whose SHA-256 name is `name`. */
  epoch(name: string): string;
  /** The user's session floor (see `Denylist.epochs`). */
  floor(name: string): string;
}

/** The keys of the shard tagged `tag` (braces included). */
export function denylistKeys(tag: string): DenylistKeys {
  return {
    tag,
    migrating: `${tag}:migrating`,
    origin: `${tag}:origin`,
    log: `${tag}:log`,
    seq: `${tag}:seq`,
    window: `${tag}:window`,
    server: `${tag}:server`,
    epoch: (name) => `${tag}:e:${name}`,
    floor: (name) => `${tag}:f:${name}`,
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
