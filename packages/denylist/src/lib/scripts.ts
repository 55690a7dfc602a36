/**
 * Lua scripts of the Redis denylist. Every key shares the hash tag `{<prefix>}`, so each script runs
 * on Redis Cluster (all denylist keys live in one slot: revocations are rare and small, see the
 * sizing notes in docs/revocation.md). Replies are integers, strings and flat arrays only.
 *
 * Keys (see keys.ts): `{p}:origin` (string `<ms>:<random>`: when this dataset began, stamped with
 * Redis time), `{p}:log` (stream of revocations, one field per entry: `u1` = `<at>:<epoch>:<sub>` or
 * `s1` = `<at>:<sid>`, with `at` the caller's time in ms; the digit is the entry version),
 * `{p}:seq` (integer: revocations ever logged; it only grows, so a lower value means lost data),
 * `{p}:window` (integer: the largest log window any process declared, ms), `{p}:server` (the
 * `run_id` of the Redis process last seen serving this dataset), `{p}:e:<sha256(sub)>` (integer:
 * the user's epoch; never expires), `{p}:f:<sha256(sub)>` (integer: the user's session floor, the
 * epoch of the last revocation that also ended sessions; never expires).
 */

/** Shared helpers: the origin (created when missing, stamped with Redis time) and the log trim. */
const HELPERS = `
-- Redis's own clock, ms. Scripts are replicated by effects (Redis 7), so TIME is allowed.
local function redisMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A new origin: Redis's own time (never a client clock: a client a few seconds behind would let a
-- token signed just before the loss through) and the caller's random part.
local function newOrigin(random)
  if not string.match(random, '^%x+$') then random = '0' end
  return string.format('%d', redisMs()) .. ':' .. random
end
local function ensureOrigin(key, candidate)
  local origin = redis.call('GET', key)
  if origin then return origin end
  origin = newOrigin(candidate)
  redis.call('SET', key, origin)
  return origin
end
-- Keeps the log to the revocations of one window (approximate trimming: whole nodes only): the
-- largest window any process of this prefix declared (windowKey), so that a revoker configured with
-- a shorter access-token lifetime never trims what a verifier with a longer one still needs.
local function trim(key, id, window, windowKey)
  local declared = tonumber(redis.call('GET', windowKey) or '0') or 0
  local ms = tonumber(string.match(id, '^(%d+)'))
  redis.call('XTRIM', key, 'MINID', '~', string.format('%d', ms - math.max(window, declared)))
end
`;

export const ORIGIN = `
-- origin: the dataset's origin, created when missing; declares this process's log window.
-- KEYS[1]  origin   KEYS[2]  declared window   KEYS[3]  seq
-- ARGV[1]  random part of a new origin (hex; used only when the origin is missing)
-- ARGV[2]  this process's window (ms)
-- Returns: {origin, seq}
${HELPERS}
local declared = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if tonumber(ARGV[2]) > declared then redis.call('SET', KEYS[2], ARGV[2]) end
local origin = ensureOrigin(KEYS[1], ARGV[1])
return {origin, tonumber(redis.call('GET', KEYS[3]) or '0') or 0}
`;

export const MOVE_ORIGIN = `
-- moveOrigin: data loss was detected; start a new origin (every token issued before it is then
-- rejected), unless another process already moved it. Records the server seen.
-- KEYS[1]  origin   KEYS[2]  server stamp   KEYS[3]  seq
-- ARGV[1]  the origin the caller holds   ARGV[2]  random part of a new origin   ARGV[3]  server run_id
-- Returns: the origin now in force
${HELPERS}
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  current = newOrigin(ARGV[2])
  redis.call('SET', KEYS[1], current)
end
redis.call('SET', KEYS[2], ARGV[3])
-- A damaged counter starts over (else every read would see it 'go backwards' again).
if tonumber(redis.call('GET', KEYS[3]) or '0') == nil then redis.call('SET', KEYS[3], 0) end
return current
`;

export const STAMP_SERVER = `
-- stampServer: records the Redis process serving this dataset, if none is recorded or it is still
-- the expected one (compare-and-set).
-- KEYS[1]  server stamp
-- ARGV[1]  expected stamp ('' when none was recorded)   ARGV[2]  run_id
-- Returns: 1 when stamped, 0 when another process changed it first
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

export const EPOCH = `
-- epoch: a user's current epoch and session floor (0 when never revoked), read together.
-- KEYS[1]  origin   KEYS[2]  epoch key of the user   KEYS[3]  floor key of the user
-- ARGV[1]  random part of a new origin
-- Returns: {epoch, floor, origin}; an error for a value that is not an integer (never read as 0)
${HELPERS}
local origin = ensureOrigin(KEYS[1], ARGV[1])
local values = redis.call('MGET', KEYS[2], KEYS[3])
local epoch, floor = tonumber(values[1] or '0'), tonumber(values[2] or '0')
if epoch == nil or floor == nil then return redis.error_reply('ERR tessera denylist: damaged epoch') end
return {epoch, floor, origin}
`;

export const REVOKE_USER = `
-- revokeUser: raise the user's epoch (and the session floor to it, unless sessions are kept) and
-- log it, atomically. The new epoch is above both the stored one and the highest the caller has
-- seen: after a loss, an epoch already stamped into live tokens is never handed out again.
-- KEYS[1]  origin   KEYS[2]  epoch key of the user   KEYS[3]  log stream   KEYS[4]  floor key
-- KEYS[5]  declared window   KEYS[6]  seq
-- ARGV[1]  random part of a new origin   ARGV[2]  sub   ARGV[3]  now (caller ms)   ARGV[4]  window (ms)
-- ARGV[5]  "1" to raise the session floor, "0" to keep sessions
-- ARGV[6]  the highest epoch of this user the caller has seen
-- Returns: {new epoch, log entry id, 1 when the stored epoch was below what the caller had seen}
${HELPERS}
ensureOrigin(KEYS[1], ARGV[1])
local stored = tonumber(redis.call('GET', KEYS[2]) or '0')
if stored == nil then return redis.error_reply('ERR tessera denylist: damaged epoch') end
local seen = tonumber(ARGV[6])
local epoch = math.max(stored, seen) + 1
redis.call('SET', KEYS[2], epoch)
if ARGV[5] == '1' then redis.call('SET', KEYS[4], epoch) end
redis.call('INCR', KEYS[6])
local id = redis.call('XADD', KEYS[3], '*', 'u1', ARGV[3] .. ':' .. epoch .. ':' .. ARGV[2])
trim(KEYS[3], id, tonumber(ARGV[4]), KEYS[5])
local behind = 0
if stored < seen then behind = 1 end
return {epoch, id, behind}
`;

export const REVOKE_SESSION = `
-- revokeSession: log a session revocation.
-- KEYS[1]  origin   KEYS[2]  log stream   KEYS[3]  declared window   KEYS[4]  seq
-- ARGV[1]  random part of a new origin   ARGV[2]  sid   ARGV[3]  now (caller ms)   ARGV[4]  window (ms)
-- Returns: the log entry id
${HELPERS}
ensureOrigin(KEYS[1], ARGV[1])
redis.call('INCR', KEYS[4])
local id = redis.call('XADD', KEYS[2], '*', 's1', ARGV[3] .. ':' .. ARGV[2])
trim(KEYS[2], id, tonumber(ARGV[4]), KEYS[3])
return id
`;
