/**
 * Lua scripts of the Redis store: one per operation, each atomic. Every key a script touches shares
 * the owner's hash tag `{tag}`, so each script runs on Redis Cluster. Replies are integers, strings
 * and flat arrays only, so RESP2 and RESP3 clients parse them alike.
 *
 * Session hash fields: s sub, g generation, n nonce digest, k secret id, c created, u last used,
 * r rotated, a absolute expiry, i idle expiry, v revoked at, w revoked reason, e epoch, ua user agent,
 * ip, lb label. Times are integer milliseconds from the caller's clock.
 */

/** Shared helpers, prepended to scripts that need them. */
const LIVE = `
local function live(key, now)
  local f = redis.call('HMGET', key, 'v', 'a', 'i')
  if f[2] == false then return false end
  return f[1] == false and now < tonumber(f[2]) and now < tonumber(f[3])
end
`;

/** The fields every reply about one session carries, in this order. */
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

export const CREATE = `
-- create: store a new session; drop the owner's dead sessions; evict the oldest live ones past the cap.
-- KEYS[1]  session hash          KEYS[2]  owner index (zset: session id -> created ms)
-- ARGV[1]  session id            ARGV[2]  key prefix for sessions of this owner (ends with ':s:')
-- ARGV[3]  now (ms)              ARGV[4]  max live sessions
-- ARGV[5..] field, value pairs of the new record (see RECORD_FIELDS)
-- Returns: flat array of the evicted session ids
${LIVE}
local now = tonumber(ARGV[3])
local fields = {}
for n = 5, #ARGV do fields[#fields + 1] = ARGV[n] end
redis.call('HSET', KEYS[1], unpack(fields))
-- Keys expire when the absolute lifetime ends. TTLs are relative to the caller's clock, so a skew
-- between the caller's clock and Redis's own cannot expire a session early.
local ttl = tonumber(redis.call('HGET', KEYS[1], 'a')) - now
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], now, ARGV[1])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local alive = {}
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  if id == ARGV[1] or live(key, now) then
    alive[#alive + 1] = id
  else
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], id)
  end
end
local evicted = {}
local excess = #alive - tonumber(ARGV[4])
for n = 1, excess do
  redis.call('DEL', ARGV[2] .. alive[n])
  redis.call('ZREM', KEYS[2], alive[n])
  evicted[#evicted + 1] = alive[n]
end
return evicted
`;

export const ROTATE = `
-- rotate: the rotation state machine (brief section 4), atomically.
-- KEYS[1]  session hash
-- ARGV[1]  presented generation   ARGV[2]  nonce digest   ARGV[3]  now (ms)
-- ARGV[4]  grace (ms)             ARGV[5]  idle ttl (ms)
-- ARGV[6..] field, value pairs of new metadata (ua, ip, lb) to record on rotation
-- Returns: {'unknown'} or {status, expiredReason, <RECORD_FIELDS values>} with status one of
--          rotated | retry | reused | revoked | expired; missing fields are ''
local f = redis.call('HMGET', KEYS[1], 's', 'g', 'n', 'k', 'c', 'u', 'r', 'a', 'i', 'v', 'w', 'e', 'ua', 'ip', 'lb')
if f[1] == false or f[3] ~= ARGV[2] then return {'unknown'} end
local function reply(status, reason)
  local out = {status, reason}
  for n = 1, 15 do out[#out + 1] = f[n] or '' end
  return out
end
if f[10] then return reply('revoked', '') end
local now = tonumber(ARGV[3])
local generation = tonumber(f[2])
local presented = tonumber(ARGV[1])
local absolute = tonumber(f[8])
if now >= absolute then return reply('expired', 'absolute') end
if now >= tonumber(f[9]) then return reply('expired', 'idle') end
if presented == generation then
  local idle = math.min(now + tonumber(ARGV[5]), absolute)
  redis.call('HSET', KEYS[1], 'g', generation + 1, 'u', now, 'r', now, 'i', idle)
  f[2] = tostring(generation + 1); f[6] = ARGV[3]; f[7] = ARGV[3]; f[9] = tostring(idle)
  for n = 6, #ARGV, 2 do
    redis.call('HSET', KEYS[1], ARGV[n], ARGV[n + 1])
    if ARGV[n] == 'ua' then f[13] = ARGV[n + 1] elseif ARGV[n] == 'ip' then f[14] = ARGV[n + 1] else f[15] = ARGV[n + 1] end
  end
  return reply('rotated', '')
end
if presented == generation - 1 and now < tonumber(f[7]) + tonumber(ARGV[4]) then return reply('retry', '') end
redis.call('HSET', KEYS[1], 'v', now, 'w', 'reuse')
f[10] = ARGV[3]; f[11] = 'reuse'
return reply('reused', '')
`;

export const REVOKE = `
-- revoke: mark one live session revoked.
-- KEYS[1]  session hash
-- ARGV[1]  now (ms)   ARGV[2]  reason
-- Returns: 1 when revoked, 0 when there was no such live session
${LIVE}
if not live(KEYS[1], tonumber(ARGV[1])) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'w', ARGV[2])
return 1
`;

export const REVOKE_ALL = `
-- revokeAll: mark every live session of one owner revoked, but the excepted ones.
-- KEYS[1]  owner index (zset)
-- ARGV[1]  key prefix for sessions of this owner   ARGV[2]  now (ms)   ARGV[3]  reason
-- ARGV[4..] session ids to keep
-- Returns: flat array of the revoked session ids
${LIVE}
local now = tonumber(ARGV[2])
local keep = {}
for n = 4, #ARGV do keep[ARGV[n]] = true end
local revoked = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  if not keep[id] and live(key, now) then
    redis.call('HSET', key, 'v', ARGV[2], 'w', ARGV[3])
    revoked[#revoked + 1] = id
  end
end
return revoked
`;

export const LIST = `
-- list: the live sessions of one owner, oldest first (creation time, then session id).
-- KEYS[1]  owner index (zset)
-- ARGV[1]  key prefix for sessions of this owner   ARGV[2]  now (ms)
-- Returns: flat array, 16 strings per session: id, then the RECORD_FIELDS values ('' when missing)
${LIVE}
local now = tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  if live(key, now) then
    local f = redis.call('HMGET', key, 's', 'g', 'n', 'k', 'c', 'u', 'r', 'a', 'i', 'v', 'w', 'e', 'ua', 'ip', 'lb')
    out[#out + 1] = id
    for n = 1, 15 do out[#out + 1] = f[n] or '' end
  end
end
return out
`;
