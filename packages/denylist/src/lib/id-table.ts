import { platform } from '@tessera/core/internal';

/**
 * The revocation view's storage: an open-addressing hash table (linear probing, backward-shift
 * deletion) in typed arrays, keyed by a 63-bit seeded hash of `kind + id` (murmur3 steps), holding a value (a user's
 * epoch; 1 for a session) and a time in whole seconds. About 21 bytes a slot (with the source byte), at most half full,
 * where a `Map` of strings to objects took about 230 bytes an entry (docs/sizing.md).
 *
 * Security: the table keeps hashes, not ids, so two ids can share an entry. Every use of it is
 * monotone (the larger epoch and the later time win, presence revokes), so a collision can only
 * revoke a token that should live, never let a revoked one through. The seeds are random per
 * table (a CSPRNG): nobody can aim ids at a collision, which is one in 2^63 per pair otherwise.
 */
export class IdTable {
  /** Per slot, the hash's two halves side by side (hi, lo): a lookup that misses reads one cache line. */
  #keys: Int32Array;
  #value: Float64Array;
  #seconds: Uint32Array;
  /** Per slot, the source (the denylist shard) the entry came from; {@link MIXED} when several. */
  #source: Uint8Array;
  #mask: number;
  #size = 0;
  readonly #seedHi: number;
  readonly #seedLo: number;
  /** The two halves of the last hash computed (no allocation per lookup). */
  hi = 0;
  lo = 0;

  constructor(capacity = 1024) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, capacity)));
    this.#keys = new Int32Array(size * 2);
    this.#value = new Float64Array(size);
    this.#seconds = new Uint32Array(size);
    this.#source = new Uint8Array(size);
    this.#mask = size - 1;
    const seeds = new DataView(platform.randomBytes(8).buffer);
    this.#seedHi = seeds.getInt32(0);
    this.#seedLo = seeds.getInt32(4);
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /**
   * Hashes `kind` and `id` into {@link hi} and {@link lo}: murmur3's 32-bit block step over two
   * UTF-16 units at a time, into two states with the table's seeds (the second with other
   * rotations, so the halves do not fail together), each finished by fmix32. `lo` is never 0 (0
   * marks an empty slot). Every input bit reaches every output bit: ids that differ in one
   * character (user-1233, user-1234) hash apart.
   */
  hash(kind: number, id: string): void {
    let hi = this.#seedHi ^ kind;
    let lo = this.#seedLo ^ Math.imul(kind, 0x9e3779b1);
    const length = id.length;
    for (let i = 0; i < length; i += 2) {
      // Two UTF-16 units a block (this runs twice on every verify); an odd last unit alone. Each
      // state: xor, rotate (high bits flow down), multiply (low bits flow up).
      const k = i + 1 < length ? (id.charCodeAt(i) << 16) | id.charCodeAt(i + 1) : id.charCodeAt(i);
      hi ^= k;
      hi = Math.imul((hi << 13) | (hi >>> 19), 0x9e3779b1);
      lo ^= k;
      lo = Math.imul((lo << 17) | (lo >>> 15), 0x85ebca77);
    }
    this.hi = fmix(hi ^ length);
    this.lo = fmix(lo ^ Math.imul(length, 0x85ebca6b)) | 1;
  }

  /** The slot of the last hashed id, or -1. */
  find(): number {
    const hi = this.hi;
    const lo = this.lo;
    const keys = this.#keys;
    const mask = this.#mask;
    for (let slot = hi & mask; ; slot = (slot + 1) & mask) {
      const found = keys[2 * slot + 1]!;
      if (found === 0) return -1;
      if (found === lo && keys[2 * slot] === hi) return slot;
    }
  }

  valueAt(slot: number): number {
    return this.#value[slot]!;
  }

  secondsAt(slot: number): number {
    return this.#seconds[slot]!;
  }

  /**
   * Sets the entry of the last hashed id (adding it if absent), from `source`. An entry set from two
   * sources (two ids sharing a hash) is marked {@link MIXED}: {@link deleteSource} keeps it.
   */
  set(value: number, seconds: number, source = 0): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    let slot = this.find();
    if (slot < 0) {
      slot = this.#freeSlot(this.hi);
      this.#keys[2 * slot] = this.hi;
      this.#keys[2 * slot + 1] = this.lo;
      this.#source[slot] = source;
      this.#size++;
    } else if (this.#source[slot] !== source) {
      this.#source[slot] = MIXED;
    }
    this.#value[slot] = value;
    this.#seconds[slot] = seconds;
  }

  /** Removes every entry that came from `source` alone (a shard whose data was lost starts over). */
  deleteSource(source: number): void {
    const keys = this.#keys;
    for (let slot = 0; slot <= this.#mask; ) {
      // A deletion shifts a later entry into this slot: look at it again.
      if (keys[2 * slot + 1] !== 0 && this.#source[slot] === source) this.deleteAt(slot);
      else slot++;
    }
  }

  /** Removes the entry at `slot`, moving later entries of its probe run back (no tombstones). */
  deleteAt(slot: number): void {
    const keys = this.#keys;
    const mask = this.#mask;
    let hole = slot;
    for (let next = (hole + 1) & mask; keys[2 * next + 1] !== 0; next = (next + 1) & mask) {
      const home = keys[2 * next]! & mask;
      // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
      const stays = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (stays) continue;
      keys[2 * hole] = keys[2 * next]!;
      keys[2 * hole + 1] = keys[2 * next + 1]!;
      this.#value[hole] = this.#value[next]!;
      this.#seconds[hole] = this.#seconds[next]!;
      this.#source[hole] = this.#source[next]!;
      hole = next;
    }
    keys[2 * hole] = 0;
    keys[2 * hole + 1] = 0;
    this.#size--;
  }

  /** Forgets every entry (keeps the allocation). */
  clear(): void {
    this.#keys.fill(0);
    this.#size = 0;
  }

  #freeSlot(hi: number): number {
    const keys = this.#keys;
    const mask = this.#mask;
    let slot = hi & mask;
    while (keys[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    return slot;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#value;
    const seconds = this.#seconds;
    const sources = this.#source;
    const size = (this.#mask + 1) * 2;
    this.#keys = new Int32Array(size * 2);
    this.#value = new Float64Array(size);
    this.#seconds = new Uint32Array(size);
    this.#source = new Uint8Array(size);
    this.#mask = size - 1;
    for (let old = 0; old < values.length; old++) {
      if (keys[2 * old + 1] === 0) continue;
      const slot = this.#freeSlot(keys[2 * old]!);
      this.#keys[2 * slot] = keys[2 * old]!;
      this.#keys[2 * slot + 1] = keys[2 * old + 1]!;
      this.#value[slot] = values[old]!;
      this.#seconds[slot] = seconds[old]!;
      this.#source[slot] = sources[old]!;
    }
  }
}

/** The source mark of an entry set from more than one source. */
export const MIXED = 255;

/** murmur3's 32-bit finaliser: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Arrival order of entries, for trimming: a growable ring of (hi, lo, seconds). 12 bytes an entry. */
export class ArrivalQueue {
  #hi = new Int32Array(1024);
  #lo = new Int32Array(1024);
  #seconds = new Uint32Array(1024);
  #head = 0;
  #length = 0;

  push(hi: number, lo: number, seconds: number): void {
    if (this.#length === this.#hi.length) this.#grow();
    const at = (this.#head + this.#length) & (this.#hi.length - 1);
    this.#hi[at] = hi;
    this.#lo[at] = lo;
    this.#seconds[at] = seconds;
    this.#length++;
  }

  /** The oldest entry's seconds (undefined when empty). */
  peekSeconds(): number | undefined {
    return this.#length === 0 ? undefined : this.#seconds[this.#head];
  }

  /** Drops the oldest entry into `into` (hi, lo, seconds). */
  shift(into: { hi: number; lo: number; seconds: number }): void {
    const at = this.#head;
    into.hi = this.#hi[at]!;
    into.lo = this.#lo[at]!;
    into.seconds = this.#seconds[at]!;
    this.#head = (at + 1) & (this.#hi.length - 1);
    this.#length--;
  }

  clear(): void {
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const size = this.#hi.length * 2;
    const hi = new Int32Array(size);
    const lo = new Int32Array(size);
    const seconds = new Uint32Array(size);
    for (let i = 0; i < this.#length; i++) {
      const from = (this.#head + i) & (this.#hi.length - 1);
      hi[i] = this.#hi[from]!;
      lo[i] = this.#lo[from]!;
      seconds[i] = this.#seconds[from]!;
    }
    this.#hi = hi;
    this.#lo = lo;
    this.#seconds = seconds;
    this.#head = 0;
  }
}
