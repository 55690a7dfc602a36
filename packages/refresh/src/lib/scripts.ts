/**
 * Lua scripts of the Redis store: one per operation, each atomic; ROTATE also carries several
 * rotations at once, each run on its own (see batching.ts). Every key a script touches shares the
 * owner's hash tag `{tag}`, so each script runs on Redis Cluster (where a ROTATE carries one
 * rotation). Replies are integers, strings and flat arrays only, so RESP2 and RESP3 clients parse
 * them alike.
 *
 * A session is one string key in a fixed binary layout (Redis's built-in `struct` library,
 * big-endian), hot fields first so that a rotation rewrites only them, in place, with one SETRANGE:
 *
 * | bytes | field | meaning |
 * |---|---|---|
 * | 0 | version | the layout's version: {@link RECORD_VERSION} |
 * | 1-22 | n | nonce digest (22 characters) |
 * | 23-28 | g | generation (unsigned) |
 * | 29-33, 34-38, 39-43 | u, r, i | last used, rotated, idle expiry: ms after c (signed) |
 * | 44-49 | c | created, ms since the epoch (unsigned) |
 * | 50-54 | a | absolute expiry, ms after c (signed) |
 * | 55-59 | v | revoked at, ms after c (at least 0), plus 1; 0 when live |
 * | 60-66 | e | epoch plus 1; 0 when none |
 * | then | k, s, w, y, p, l | secret id, subject, revocation reason, user agent, ip, label: each a length (1 byte for k, else 2) and its bytes; '' when missing |
 *
 * Why: packing a MessagePack map cost more than the rest of a rotation together, and a rotation
 * changes four numbers. It takes the same memory as the map did: a session with a 120-byte user
 * agent still fits one 256-byte allocation (344 bytes in MEMORY USAGE). Offsets from c are 5 bytes
 * (+/- 17 years); the store checks the ranges before it writes (see redis-store.ts).
 */

import { NONCE_DIGEST_LENGTH, SESSION_SUFFIX_LENGTH as SUFFIX_LENGTH } from './token-format.js';

/**
 * The device metadata, one entry per field: its `SessionMeta` name, its name as a script argument
 * (and in RECORD_FIELDS), and its variable in the scripts' Lua. Everything below derives from it.
 */
export const META_FIELDS = [
  { name: 'userAgent', arg: 'ua', lua: 'y' },
  { name: 'ip', arg: 'ip', lua: 'p' },
  { name: 'label', arg: 'lb', lua: 'l' },
] as const;

/** The fields of a session in LIST replies, in this order (absolute times in ms). */
export const RECORD_FIELDS = [
  's',
  'g',
  'n',
  'k',
  'c',
  'u',
  'r',
  'a',
  'i',
  'v',
  'w',
  'e',
  'ua',
  'ip',
  'lb',
] as const;

/**
 * The version byte every record starts with. A record of another version, or one that does not
 * decode, reads as no session at all (`unknown`: fails closed) and is never rewritten or deleted
 * here, so a newer release's records survive an older one running beside it.
 */
export const RECORD_VERSION = 1;
/** The owner index starts with this character (then the session id suffixes); an index of 22k characters predates it. */
export const INDEX_VERSION = '1';
/**
 * The record layout, field by field, in order (the table above): each field's `struct` format.
 * `I<n>`/`i<n>`: an unsigned/signed integer of n bytes; `c<n>`: n bytes; `I<n>c0`: a string after
 * an n-byte length. The format strings, the hot part's offset and the numeric limits derive from it.
 */
export const RECORD_LAYOUT = {
  head: [
    ['version', 'I1'],
    ['n', `c${NONCE_DIGEST_LENGTH}`],
    ['g', 'I6'],
    ['u', 'i5'],
    ['r', 'i5'],
    ['i', 'i5'],
    ['c', 'I6'],
    ['a', 'i5'],
    ['v', 'i5'],
    ['e', 'I7'],
    ['k', 'I1c0'],
    ['s', 'I2c0'],
  ],
  /** w y p l: only a revocation, a reuse or a rotation with metadata needs them. */
  tail: [
    ['w', 'I2c0'],
    ['y', 'I2c0'],
    ['p', 'I2c0'],
    ['l', 'I2c0'],
  ],
  /** The fields a rotation rewrites in place (contiguous, fixed size). */
  hot: ['g', 'u', 'r', 'i'],
} as const;

type LayoutField = (typeof RECORD_LAYOUT.head)[number][0];
const formatOf = (field: LayoutField) => RECORD_LAYOUT.head.find(([name]) => name === field)![1];
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
 * Shared helpers: decode a record to a table of absolute times (missing fields nil), encode it back,
 * render it as a reply, tell whether it is live.
 */
const HELPERS = `
local LAYOUT = '${LAYOUT}'
local META = {${META_FIELDS.map((f) => `${f.arg} = '${f.lua}'`).join(', ')}}
-- A record as a table; nil when there is none; false when it does not decode (another version,
-- damaged, a key of another type): treated as no session, and never rewritten or deleted.
local function load(key)
  local found, raw = pcall(redis.call, 'GET', key)
  if not found then return false end
  if not raw then return nil end
  local ok, version, n, g, u, r, i, c, a, v, e, k, s, w, y, p, l, after = pcall(struct.unpack, LAYOUT, raw)
  if not ok or version ~= ${RECORD_VERSION} or after ~= #raw + 1 then return false end
  local t = {n = n, g = g, c = c, u = u + c, r = r + c, i = i + c, a = a + c, k = k, s = s}
  if v > 0 then t.v = v - 1 + c; t.w = w end
  if e > 0 then t.e = e - 1 end
  if y ~= '' then t.y = y end
  if p ~= '' then t.p = p end
  if l ~= '' then t.l = l end
  return t
end
local function encode(t)
  local c = t.c
  local v, e = 0, 0
  -- Clamped at c: a clock stepped back must never turn a revocation into 'live' (v = 0).
  if t.v then v = math.max(t.v - c, 0) + 1 end
  if t.e then e = t.e + 1 end
  local w, y, p, l = t.w or '', t.y or '', t.p or '', t.l or ''
  return struct.pack(LAYOUT, ${RECORD_VERSION}, t.n, t.g, t.u - c, t.r - c, t.i - c, c, t.a - c, v, e,
    #t.k, t.k, #t.s, t.s, #w, w, #y, y, #p, p, #l, l)
end
local function save(key, t)
  redis.call('SET', key, encode(t), 'KEEPTTL')
end
-- Numbers are returned as integer replies (times in ms are integers), missing fields as ''.
local RENDER = {'s', 'g', 'n', 'k', 'c', 'u', 'r', 'a', 'i', 'v', 'w', 'e', 'y', 'p', 'l'}
local function render(t, out)
  for _, f in ipairs(RENDER) do
    local value = t[f]
    if value == nil then value = '' end
    out[#out + 1] = value
  end
  return out
end
local function live(t, now)
  return t and t.v == nil and now < t.a and now < t.i
end
-- An owner index is one string: the version character '${INDEX_VERSION}', then the ${SUFFIX_LENGTH}-character random
-- parts of the owner's session ids, run together (an index of a multiple of ${SUFFIX_LENGTH} characters predates the
-- version character). Nil for an index that does not read: callers refuse to act on it.
local function members(index)
  local found, raw = pcall(redis.call, 'GET', index)
  if not found then return nil end
  raw = raw or '${INDEX_VERSION}'
  local from = 2
  if #raw % ${SUFFIX_LENGTH} == 0 then from = 1
  elseif #raw % ${SUFFIX_LENGTH} ~= 1 or string.sub(raw, 1, 1) ~= '${INDEX_VERSION}' then return nil end
  local ids = {}
  for at = from, #raw, ${SUFFIX_LENGTH} do ids[#ids + 1] = string.sub(raw, at, at + ${SUFFIX_LENGTH - 1}) end
  return ids
end
local function byAge(x, y) return x.t.c < y.t.c or (x.t.c == y.t.c and x.id < y.id) end
-- The live sessions an index lists, as {id, t}, oldest first (creation time, then id, as the memory
-- store orders them), with \`extra\` (a new session, not yet listed) among them; dead(id) is called
-- for each listed session that is over. A record that does not decode is neither: its id is
-- returned second. Nil when the index does not read.
local function liveSessions(index, sessionPrefix, now, dead, extra)
  local ids = members(index)
  if ids == nil then return nil end
  local found, unreadable = {extra}, {}
  for _, id in ipairs(ids) do
    local t = load(sessionPrefix .. id)
    if live(t, now) then found[#found + 1] = {id = id, t = t}
    elseif t == false then unreadable[#unreadable + 1] = id
    elseif dead then dead(id) end
  end
  table.sort(found, byAge)
  return found, unreadable
end
local UNREADABLE_INDEX = 'ERR tessera refresh: the owner index does not read (another version, or damaged)'
`;

export const CREATE = `
-- create: store a new session; drop the owner's dead sessions; evict the oldest live ones past the cap.
-- KEYS[1]  session key           KEYS[2]  owner index (string: the session id suffixes, see HELPERS)
-- ARGV[1]  session id suffix     ARGV[2]  key prefix of this owner's sessions (session key = prefix .. suffix)
-- ARGV[3]  now (ms)              ARGV[4]  max live sessions
-- ARGV[5..] field, value pairs of the new record: s g n k c u r a i [e] [ua ip lb]
-- Returns: flat array of the evicted session id suffixes; an error when the index does not read
-- (written by another version, or damaged: it is left as it is)
${HELPERS}
if members(KEYS[2]) == nil then return redis.error_reply(UNREADABLE_INDEX) end
local now = tonumber(ARGV[3])
local t = {}
for n = 5, #ARGV, 2 do
  local f, value = ARGV[n], ARGV[n + 1]
  if f == 'g' or f == 'c' or f == 'u' or f == 'r' or f == 'a' or f == 'i' or f == 'v' or f == 'e' then value = tonumber(value) end
  t[META[f] or f] = value
end
-- Keys expire when the absolute lifetime ends. TTLs are relative to the caller's clock, so a skew
-- between the caller's clock and Redis's own cannot expire a session early.
local ttl = t.a - now
redis.call('SET', KEYS[1], encode(t), 'PX', ttl)
local function drop(id) redis.call('DEL', ARGV[2] .. id) end
local alive, unreadable = liveSessions(KEYS[2], ARGV[2], now, drop, {id = ARGV[1], t = t})
-- Records this version cannot read stay listed (first) and count for nothing here.
local evicted, kept = {}, unreadable
for n, session in ipairs(alive) do
  if n <= #alive - tonumber(ARGV[4]) then
    drop(session.id)
    evicted[#evicted + 1] = session.id
  else
    kept[#kept + 1] = session.id
  end
end
-- Rewritten whole (an exact allocation; APPEND would reserve room to grow), living as long as its longest session.
redis.call('SET', KEYS[2], '${INDEX_VERSION}' .. table.concat(kept), 'PX', math.max(redis.call('PTTL', KEYS[2]), ttl))
return evicted
`;

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
} as const;

export const ROTATE = `
-- rotate: the rotation state machine (docs/refresh-tokens.md), for one or more sessions, each atomically.
-- KEYS[1..n]  session keys, one per rotation (on a Cluster, n is 1)
-- ARGV        per rotation, in KEYS order: '<presented generation> <nonce digest> <now ms> <grace ms>
--             <idle ttl ms> <m>' (one argument: each argument costs the client more to encode than
--             this script to split), then m more arguments. m is -1 when the caller does not want
--             the stored metadata back; else m >= 0 and the m arguments are field, value pairs of
--             new metadata (ua, ip, lb) to record on rotation.
-- Returns: flat array, each rotation's reply in KEYS order, led by an integer status:
--          {0} unknown;
--          {1, c, a, e, s} rotated (the current generation): the caller knows the rest
--          (generation + 1, last used = now, idle expiry = min(now + idle ttl, a));
--          {status, detail, s, g, c, u, a, i, e} with status 2 retry, 3 reused, 4 revoked or
--          5 expired, detail the expiry kind (absolute | idle) or the revocation reason, else '';
--          each but unknown followed, only when m >= 0, by the stored y p l before this call
--          (for anomaly checks); or {-1, message} when this rotation failed (the others still
--          ran). e is the epoch, -1 when none; missing strings are ''. Replies are kept small and
--          mostly integers on purpose: each string costs the client an allocation to parse.
--
-- The hot path of the store, so it stands alone (no shared HELPERS: defining them costs more than
-- the state machine) and reads the stored offsets as they are. A rotation whose metadata is
-- unchanged (or absent) rewrites only the hot fields, in place.
-- The reply, and how many values it holds (appended by index: no table per rotation).
local out, o = {}, 0
-- A rotation's reply in the full form.
local function reply(status, detail, s, g, c, u, a, i, e, withMeta, y, p, l)
  out[o + 1] = status; out[o + 2] = detail; out[o + 3] = s; out[o + 4] = g; out[o + 5] = c
  out[o + 6] = u + c; out[o + 7] = a + c; out[o + 8] = i + c; out[o + 9] = e - 1
  o = o + ${ROTATE_REPLY.full}
  if withMeta then out[o + 1] = y; out[o + 2] = p; out[o + 3] = l; o = o + ${ROTATE_REPLY.meta} end
end
-- The tail of a record (revocation reason, device metadata); nil when it does not decode exactly
-- (too short, or bytes left over).
local function tailOf(raw, at)
  local ok, w, y, p, l, after = pcall(struct.unpack, '>${LAYOUT_TAIL}', raw, at)
  if ok and after == #raw + 1 then return w, y, p, l end
end
local function rotate(key, from, presented, nonce, now, grace, idleTtl, m)
  -- No session: no key, a key of another type, a record of another version or one that does not
  -- decode. All read as unknown (fail closed), and the key is left as it is.
  local found, raw = pcall(redis.call, 'GET', key)
  if not found or not raw then o = o + 1; out[o] = 0; return end
  local ok, version, n, g, u, r, i, c, a, v, e, k, s, tail = pcall(struct.unpack, '>${LAYOUT_HEAD}', raw)
  if not ok or version ~= ${RECORD_VERSION} or type(s) ~= 'string' or n ~= nonce then o = o + 1; out[o] = 0; return end
  local withMeta = m >= 0
  -- The whole record must decode, tail (revocation reason, device metadata) included: a damaged one
  -- is never read as a live session.
  local w, y, p, l = tailOf(raw, tail)
  if not l then o = o + 1; out[o] = 0; return end
  if v > 0 then return reply(4, w, s, g, c, u, a, i, e, withMeta, y, p, l) end
  now = tonumber(now) - c
  if now >= a then return reply(5, 'absolute', s, g, c, u, a, i, e, withMeta, y, p, l) end
  if now >= i then return reply(5, 'idle', s, g, c, u, a, i, e, withMeta, y, p, l) end
  if tonumber(presented) == g then
    local idle = math.min(now + tonumber(idleTtl), a)
    out[o + 1] = 1; out[o + 2] = c; out[o + 3] = a + c; out[o + 4] = e - 1; out[o + 5] = s
    o = o + ${ROTATE_REPLY.rotated}
    if withMeta then
      out[o + 1] = y; out[o + 2] = p; out[o + 3] = l
      o = o + ${ROTATE_REPLY.meta}
      local y2, p2, l2 = y, p, l
      for j = from + 1, from + m, 2 do
        local f = ARGV[j]
        ${META_FIELDS.map((f) => `if f == '${f.arg}' then ${f.lua}2 = ARGV[j + 1]`).join(' else')} end
      end
      if y2 ~= y or p2 ~= p or l2 ~= l then
        redis.call('SET', key, struct.pack('${LAYOUT}', ${RECORD_VERSION}, n, g + 1, now, now, idle, c, a, v, e,
          #k, k, #s, s, #w, w, #y2, y2, #p2, p2, #l2, l2), 'KEEPTTL')
        return
      end
    end
    redis.call('SETRANGE', key, ${HOT_OFFSET}, struct.pack('${HOT}', g + 1, now, now, idle))
    return
  end
  if tonumber(presented) == g - 1 and now < r + tonumber(grace) then
    return reply(2, '', s, g, c, u, a, i, e, withMeta, y, p, l)
  end
  -- A generation ahead of the store was issued by a rotation the store no longer holds (restored
  -- from an older snapshot, a lagging replica promoted): the store cannot vouch for this chain.
  -- The session ends (revoked, reason store_behind); it is not theft.
  -- Any older generation was issued and then superseded: reuse. The whole session is revoked.
  local reason, status = 'reuse', 3
  if tonumber(presented) > g then reason, status = 'store_behind', 4 end
  -- Clamped at c, as in HELPERS: a clock stepped back must never record the revocation as 0 (live).
  redis.call('SET', key, struct.pack('${LAYOUT}', ${RECORD_VERSION}, n, g, u, r, i, c, a, math.max(now, 0) + 1, e,
    #k, k, #s, s, #reason, reason, #y, y, #p, p, #l, l), 'KEEPTTL')
  return reply(status, reason, s, g, c, u, a, i, e, withMeta, y, p, l)
end
local from = 1
for x = 1, #KEYS do
  local presented, nonce, now, grace, idleTtl, m = string.match(ARGV[from] or '', '^(%S+) (%S+) (%S+) (%S+) (%S+) (-?%d+)$')
  if not m then return redis.error_reply('ERR tessera rotate: malformed arguments') end
  m = tonumber(m)
  local mark = o
  local ok, failure = pcall(rotate, KEYS[x], from, presented, nonce, now, grace, idleTtl, m)
  if not ok then
    -- Only this rotation fails (a corrupt or foreign value at its key); what it had put is dropped.
    for j = o, mark + 1, -1 do out[j] = nil end
    o = mark
    if type(failure) == 'table' then failure = failure.err end
    o = o + 2; out[o - 1] = -1; out[o] = tostring(failure)
  end
  from = from + 1 + math.max(m, 0)
end
return out
`;

export const UNROTATE = `
-- unrotate: undoes rotations whose durability could not be confirmed (WAIT fell short), so that the
-- client, which never received the successor, retries with the same token and finds it current
-- (without this, a retry after the grace window would read as reuse). Only a record that still
-- stands exactly where that rotation left it is touched.
-- KEYS[1..n]  session keys
-- ARGV[1..n]  '<generation the rotation produced> <its now, ms>' per key
-- Returns: the number of rotations undone
local undone = 0
for x = 1, #KEYS do
  local generation, now = string.match(ARGV[x], '^(%d+) (%d+)$')
  local raw = redis.call('GET', KEYS[x])
  if raw and generation then
    local ok, version, n, g, u, r, i, c = pcall(struct.unpack, '>${LAYOUT_HEAD}', raw)
    if ok and version == ${RECORD_VERSION} and g == tonumber(generation) and r + c == tonumber(now) then
      redis.call('SETRANGE', KEYS[x], ${HOT_OFFSET}, struct.pack('${HOT}', g - 1, u, r, i))
      undone = undone + 1
    end
  end
end
return undone
`;

export const REVOKE = `
-- revoke: mark one live session revoked.
-- KEYS[1]  session key
-- ARGV[1]  now (ms)   ARGV[2]  reason
-- Returns: 1 when revoked, 0 when there was no such live session
${HELPERS}
local t = load(KEYS[1])
if not live(t, tonumber(ARGV[1])) then return 0 end
t.v = tonumber(ARGV[1])
t.w = ARGV[2]
save(KEYS[1], t)
return 1
`;

export const REVOKE_ALL = `
-- revokeAll: mark every live session of one owner revoked, but the excepted ones.
-- KEYS[1]  owner index (string: the session id suffixes, see HELPERS)
-- ARGV[1]  key prefix of this owner's sessions   ARGV[2]  now (ms)   ARGV[3]  reason
-- ARGV[4..] session id suffixes to keep
-- Returns: flat array of the revoked session id suffixes, oldest first; an error when the index
-- does not read (nothing is revoked then: the caller must know "log out everywhere" did not happen)
-- A listed record that does not decode is deleted (its token then names no session: the strongest
-- revocation there is), unless kept, and reported with the revoked ones.
${HELPERS}
local now = tonumber(ARGV[2])
local keep = {}
for n = 4, #ARGV do keep[ARGV[n]] = true end
local alive, unreadable = liveSessions(KEYS[1], ARGV[1], now)
if alive == nil then return redis.error_reply(UNREADABLE_INDEX) end
local revoked = {}
for _, id in ipairs(unreadable) do
  if not keep[id] then
    redis.call('DEL', ARGV[1] .. id)
    revoked[#revoked + 1] = id
  end
end
for _, session in ipairs(alive) do
  if not keep[session.id] then
    session.t.v = now
    session.t.w = ARGV[3]
    save(ARGV[1] .. session.id, session.t)
    revoked[#revoked + 1] = session.id
  end
end
return revoked
`;

export const LIST = `
-- list: the live sessions of one owner, oldest first (creation time, then session id).
-- KEYS[1]  owner index (string: the session id suffixes, see HELPERS)
-- ARGV[1]  key prefix of this owner's sessions   ARGV[2]  now (ms)
-- Returns: flat array, 16 values per session: session id suffix, then the RECORD_FIELDS values (numbers as integers, '' when missing);
--          an error when the index does not read
${HELPERS}
local alive = liveSessions(KEYS[1], ARGV[1], tonumber(ARGV[2]))
if alive == nil then return redis.error_reply(UNREADABLE_INDEX) end
local out = {}
for _, session in ipairs(alive) do
  out[#out + 1] = session.id
  render(session.t, out)
end
return out
`;
