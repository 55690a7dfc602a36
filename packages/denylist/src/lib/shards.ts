import { sha256Name } from '@tessera/core/internal';
import { type DenylistKeys, denylistKeys } from './keys.js';

/** Hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

/**
 * How a denylist's keys are split: `count` shards, each a complete dataset of its own (origin, log,
 * counters, epochs) under one hash tag, so every script still touches one Cluster slot.
 *
 * - One shard is today's single-slot layout, byte for byte: every key tagged `{<prefix>}`.
 * - With more, shard `i` is tagged `{<prefix>#<count>.<i>.<j>}`, with the smallest `j` whose slot lies
 *   in the `i`-th of `count` equal ranges of the 16,384 slots. Masters own contiguous ranges, so the
 *   shards spread over them as evenly as the count allows (64 shards on 3 masters: 22, 21, 21), and
 *   every process computes the same tags from the prefix and the count alone. `#` is not allowed in a
 *   prefix, so no layout's keys meet another's.
 *
 * A user's epoch and floor, and the log entries of its revocations, live in the shard of the user's
 * id; a session's revocation in the shard of the session id. The shard comes from the id's SHA-256
 * name, the one already in the epoch key names (`shardOfName`): so a migration can route an epoch
 * key it finds by SCAN without knowing the id.
 */
export interface ShardLayout {
  readonly count: number;
  readonly shards: readonly DenylistKeys[];
  /** The shard of an id, from its SHA-256 name (`sha256Name(id)`). */
  shardOfName(name: string): number;
}

export function shardLayout(prefix: string, count: number): ShardLayout {
  const shards =
    count === 1
      ? [denylistKeys(`{${prefix}}`)]
      : Array.from({ length: count }, (_, i) => denylistKeys(`{${shardTag(prefix, count, i)}}`));
  return {
    count,
    shards,
    shardOfName: count === 1 ? () => 0 : (name) => leading24Bits(name) % count,
  };
}

/** The shard of `id` in `layout`. */
export function shardOf(layout: ShardLayout, id: string): number {
  return layout.count === 1 ? 0 : layout.shardOfName(sha256Name(id));
}

/** The tag of shard `index`: the first candidate whose slot falls in the shard's range. */
function shardTag(prefix: string, count: number, index: number): string {
  const low = Math.floor((index * CLUSTER_SLOTS) / count);
  const high = Math.floor(((index + 1) * CLUSTER_SLOTS) / count);
  // Each candidate lands in the range with probability 1/count: a few hundred tries at most in practice.
  for (let j = 0; ; j++) {
    const tag = `${prefix}#${count}.${index}.${j}`;
    const slot = keySlot(tag);
    if (slot >= low && slot < high) return tag;
  }
}

/**
 * The Cluster slot of a key (CRC16/XMODEM of the key, or of its hash tag, mod 16,384), as Redis
 * computes it (cluster specification, "Hash tags").
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(new TextEncoder().encode(key)) % CLUSTER_SLOTS;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The first 24 bits of a base64url SHA-256 name (its first four characters). */
function leading24Bits(name: string): number {
  let value = 0;
  for (let i = 0; i < 4; i++) value = value * 64 + Math.max(0, BASE64URL.indexOf(name[i] ?? 'A'));
  return value;
}
