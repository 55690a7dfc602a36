/**
 * Lua scripts of the Redis denylist. Every key shares the hash tag `{<prefix>}`, so each script runs
 * on Redis Cluster (all denylist keys live in one slot: revocations are rare and small, see the
 * sizing notes in docs/revocation.md). Replies are integers, strings and flat arrays only.
 *
 * Keys: `{p}:origin` (string `<ms>:<random>`: when this dataset began), `{p}:log` (stream of
 * revocations, one field per entry to keep the reply small to parse: `u` = `<at>:<epoch>:<sub>` or
 * `s` = `<at>:<sid>`, with `at` the caller's time in ms), `{p}:e:<sha256(sub)>` (integer: the
 * user's epoch; never expires), `{p}:f:<sha256(sub)>` (integer: the user's session floor, the epoch
 * of the last revocation that also ended sessions; never expires).
 */

/** Creates the origin when it is missing (first use, or after data loss). */
const ENSURE_ORIGIN = `
local function ensureOrigin(key, candidate)
  local origin = redis.call('GET', key)
  if origin then return origin end
  redis.call('SET', key, candidate)
  return candidate
end
-- Keeps the log to the revocations of one window (approximate trimming: whole nodes only).
local function trim(key, id, window)
  local ms = tonumber(string.match(id, '^(%d+)'))
  redis.call('XTRIM', key, 'MINID', '~', string.format('%d', ms - window))
end
`;

export const ORIGIN = `
-- origin: the dataset's origin, created when missing.
-- KEYS[1]  origin
-- ARGV[1]  candidate origin "<ms>:<random>" (stored only when the key is missing)
-- Returns: the origin string
${ENSURE_ORIGIN}
return ensureOrigin(KEYS[1], ARGV[1])
`;

export const EPOCH = `
-- epoch: a user's current epoch and session floor (0 when never revoked), read together.
-- KEYS[1]  origin   KEYS[2]  epoch key of the user   KEYS[3]  floor key of the user
-- ARGV[1]  candidate origin
-- Returns: {epoch, floor, origin}
${ENSURE_ORIGIN}
local origin = ensureOrigin(KEYS[1], ARGV[1])
local values = redis.call('MGET', KEYS[2], KEYS[3])
return {tonumber(values[1] or '0'), tonumber(values[2] or '0'), origin}
`;

export const REVOKE_USER = `
-- revokeUser: increment the user's epoch (and raise the session floor to it, unless sessions are
-- kept) and log it, atomically.
-- KEYS[1]  origin   KEYS[2]  epoch key of the user   KEYS[3]  log stream   KEYS[4]  floor key
-- ARGV[1]  candidate origin   ARGV[2]  sub   ARGV[3]  now (caller ms)   ARGV[4]  window (ms)
-- ARGV[5]  "1" to raise the session floor, "0" to keep sessions
-- Returns: {new epoch, log entry id}
${ENSURE_ORIGIN}
ensureOrigin(KEYS[1], ARGV[1])
local epoch = redis.call('INCR', KEYS[2])
if ARGV[5] == '1' then redis.call('SET', KEYS[4], epoch) end
local id = redis.call('XADD', KEYS[3], '*', 'u', ARGV[3] .. ':' .. epoch .. ':' .. ARGV[2])
trim(KEYS[3], id, tonumber(ARGV[4]))
return {epoch, id}
`;

export const REVOKE_SESSION = `
-- revokeSession: log a session revocation.
-- KEYS[1]  origin   KEYS[2]  log stream
-- ARGV[1]  candidate origin   ARGV[2]  sid   ARGV[3]  now (caller ms)   ARGV[4]  window (ms)
-- Returns: the log entry id
${ENSURE_ORIGIN}
ensureOrigin(KEYS[1], ARGV[1])
local id = redis.call('XADD', KEYS[2], '*', 's', ARGV[3] .. ':' .. ARGV[2])
trim(KEYS[2], id, tonumber(ARGV[4]))
return id
`;
