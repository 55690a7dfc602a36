/**
 * Lua scripts of the Redis store: one per operation, each atomic, one `.lua` file each in `src/lua/`
 * (headed by its KEYS, ARGV and returns); ROTATE also carries several rotations at once, each run on
 * its own (see batching.ts). Every key a script touches shares the owner's hash tag `{tag}`, so each
 * script runs on Redis Cluster (where a ROTATE carries one rotation). Replies are integers, strings
 * and flat arrays only, so RESP2 and RESP3 clients parse them alike.
 *
 * A session is one string key in the fixed binary layout {@link RECORD_LAYOUT} describes (Redis's
 * built-in `struct` library, big-endian), hot fields first so that a rotation rewrites only them, in
 * place, with one SETRANGE. Everything the scripts and the store know of the layout (format strings,
 * offsets, variable lists, limits, field names) derives from that one descriptor.
 *
 * Why: packing a MessagePack map cost more than the rest of a rotation together, and a rotation
 * changes four numbers. It takes the same memory as the map did: a session with a 120-byte user
 * agent still fits one 256-byte allocation (344 bytes in MEMORY USAGE). Offsets from c are 5 bytes
 * (+/- 17 years); the store checks the ranges before it writes (see redis-store.ts).
 */

import { fillLua } from '@tessera/core/internal';
import { LUA_SOURCES } from './lua.generated.js';
import { NONCE_DIGEST_LENGTH, SESSION_SUFFIX_LENGTH as SUFFIX_LENGTH } from './token-format.js';

/**
 * The device metadata, one entry per field: its `SessionMeta` name, its name as a script argument
 * (and in RECORD_FIELDS), and its field in {@link RECORD_LAYOUT} (the scripts' Lua variable).
 */
export const META_FIELDS = [
  { name: 'userAgent', arg: 'ua', lua: 'y' },
  { name: 'ip', arg: 'ip', lua: 'p' },
  { name: 'label', arg: 'lb', lua: 'l' },
] as const;

/**
 * The version byte every record starts with. A record of another version, or one that does not
 * decode, reads as no session at all (`unknown`: fails closed) and is never rewritten or deleted
 * here, so a newer release's records survive an older one running beside it.
 */
export const RECORD_VERSION = 1;
/**
 * The version of a DPoP-bound session's record: the {@link RECORD_LAYOUT} of version 1, then the
 * `bound` fields. Unbound sessions keep version 1 byte for byte (a release before bindings still
 * reads them); a release that does not know version 2 reads a bound session as no session (fails
 * closed: it could not check the key).
 */
export const BOUND_RECORD_VERSION = 2;
/** The owner index starts with this character (then the session id suffixes); an index of 22k characters predates it. */
export const INDEX_VERSION = '1';
/**
 * The record layout, field by field, in byte order: each field's name (its Lua variable and its
 * name in replies), its `struct` format and its meaning. `I<n>`/`i<n>`: an unsigned/signed integer
 * of n bytes; `c<n>`: n bytes; `I<n>c0`: a string after an n-byte length ('' when missing). Times
 * but c are ms after c. The format strings, the scripts' variable lists, the hot part's offset and
 * the numeric limits all derive from it.
 */
export const RECORD_LAYOUT = {
  head: [
    ['version', 'I1', `the layout's version: RECORD_VERSION`],
    ['n', `c${NONCE_DIGEST_LENGTH}`, 'nonce digest'],
    ['g', 'I6', 'generation'],
    ['u', 'i5', 'last used'],
    ['r', 'i5', 'rotated'],
    ['i', 'i5', 'idle expiry'],
    ['c', 'I6', 'created, ms since the epoch'],
    ['a', 'i5', 'absolute expiry'],
    ['v', 'i5', 'revoked at (at least 0), plus 1; 0 when live'],
    ['e', 'I7', 'epoch plus 1; 0 when none'],
    ['k', 'I1c0', 'secret id'],
    ['s', 'I2c0', 'subject'],
  ],
  /** Only a revocation, a reuse or a rotation with metadata needs these. */
  tail: [
    ['w', 'I2c0', 'revocation reason'],
    ['y', 'I2c0', 'user agent'],
    ['p', 'I2c0', 'ip'],
    ['l', 'I2c0', 'label'],
  ],
  /** The fields a rotation rewrites in place (contiguous, fixed size). */
  hot: ['g', 'u', 'r', 'i'],
  /** After the tail, in BOUND_RECORD_VERSION records only. */
  bound: [['j', 'I1c0', 'DPoP key thumbprint (RFC 7638), never empty']],
} as const;

/** The fields of a session in LIST replies, in this order (absolute times in ms): all but the version. */
export const RECORD_FIELDS = [
  ...(['s', 'g', 'n', 'k', 'c', 'u', 'r', 'a', 'i', 'v', 'w', 'e'] as const),
  ...META_FIELDS.map((field) => field.arg),
  'j',
] as const;

type LayoutField = (typeof RECORD_LAYOUT.head)[number][0];
const formatOf = (field: LayoutField) => RECORD_LAYOUT.head.find(([name]) => name === field)![1];
const namesOf = (fields: readonly (readonly [string, string, string])[]) =>
  fields.map(([name]) => name).join(', ');
/** Bytes of a fixed-size field (`I<n>`, `i<n>` or `c<n>`). */
const sizeOf = (format: string) => Number(/^[Iic](\d+)$/.exec(format)![1]);
/** Largest value a field's format holds: unsigned `I<n>`, or the positive half of signed `i<n>`. */
export const maxOf = (field: LayoutField) => {
  const format = formatOf(field);
  return format.startsWith('i') ? 2 ** (8 * sizeOf(format) - 1) - 1 : 2 ** (8 * sizeOf(format)) - 1;
};

/** The whole record, and its hot part (g u r i) that a rotation rewrites at {@link HOT_OFFSET}. */
const LAYOUT_HEAD = RECORD_LAYOUT.head.map(([, format]) => format).join('');
const LAYOUT_TAIL = RECORD_LAYOUT.tail.map(([, format]) => format).join('');
const LAYOUT = `>${LAYOUT_HEAD}${LAYOUT_TAIL}`;
const LAYOUT_BOUND = `>${RECORD_LAYOUT.bound.map(([, format]) => format).join('')}`;
const HOT = `>${RECORD_LAYOUT.hot.map(formatOf).join('')}`;
const HOT_OFFSET = RECORD_LAYOUT.head
  .slice(
    0,
    RECORD_LAYOUT.head.findIndex(([name]) => name === RECORD_LAYOUT.hot[0]),
  )
  .reduce((bytes, [, format]) => bytes + sizeOf(format), 0);
/** Bytes of the record a rotation rewrites in place: generation, last used, rotated, idle expiry. */
export const HOT_RANGE = {
  from: HOT_OFFSET,
  to: HOT_OFFSET + RECORD_LAYOUT.hot.reduce((bytes, field) => bytes + sizeOf(formatOf(field)), 0),
} as const;

/**
 * How many values each kind of rotation reply holds (see ROTATE's header): the script writes them
 * and redis-store.ts reads them by these widths, so the two cannot drift.
 */
export const ROTATE_REPLY = {
  /** `{0}`: unknown. */
  unknown: 1,
  /** `{1, c, a, e, s}`: rotated. */
  rotated: 5,
  /** `{status, detail, s, g, c, u, a, i, e}`: retry, reused, revoked, expired. */
  full: 9,
  /** `y p l` after a reply, when the caller asked for the stored metadata. */
  meta: 3,
  /** `{-1, message}`: this rotation failed. */
  failed: 2,
  /** `j` last, when the request carried a DPoP key ('' for an unbound session). */
  key: 1,
} as const;

/** What the `{{NAME}}` placeholders of src/lua/ stand for: every one derives from the descriptors above. */
const VALUES = {
  LAYOUT,
  LAYOUT_HEAD,
  LAYOUT_TAIL,
  LAYOUT_BOUND,
  BOUND_VERSION: BOUND_RECORD_VERSION,
  HOT,
  HOT_OFFSET,
  RECORD_VERSION,
  INDEX_VERSION,
  SUFFIX_LENGTH,
  SUFFIX_LAST: SUFFIX_LENGTH - 1,
  RECORD_VARS: namesOf([...RECORD_LAYOUT.head, ...RECORD_LAYOUT.tail]),
  HEAD_VARS: namesOf(RECORD_LAYOUT.head),
  TAIL_VARS: namesOf(RECORD_LAYOUT.tail),
  META_TABLE: META_FIELDS.map((f) => `${f.arg} = '${f.lua}'`).join(', '),
  META_ASSIGN: META_FIELDS.map((f) => `if f == '${f.arg}' then ${f.lua}2 = ARGV[j + 1]`).join(' else'),
  RENDER_FIELDS: RECORD_FIELDS.map((f) => `'${META_FIELDS.find((m) => m.arg === f)?.lua ?? f}'`).join(', '),
  REPLY_ROTATED: ROTATE_REPLY.rotated,
  REPLY_FULL: ROTATE_REPLY.full,
  REPLY_META: ROTATE_REPLY.meta,
} as const;

/** The metadata fields are the layout's tail fields after the reason, in order (the scripts rely on it). */
if (namesOf(RECORD_LAYOUT.tail) !== ['w', ...META_FIELDS.map((f) => f.lua)].join(', '))
  throw new Error('refresh: META_FIELDS and RECORD_LAYOUT.tail disagree');

const script = (name: string) => fillLua(LUA_SOURCES, name, VALUES);
export const CREATE = script('create');
export const ROTATE = script('rotate');
export const UNROTATE = script('unrotate');
export const REVOKE = script('revoke');
export const REVOKE_ALL = script('revoke-all');
export const LIST = script('list');
/** The placeholders' names, for the test that every one is used. */
export const LUA_VALUE_NAMES: readonly string[] = Object.keys(VALUES);
