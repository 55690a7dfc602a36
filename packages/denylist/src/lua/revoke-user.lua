-- revokeUser: raise the user's epoch (and the session floor to it, unless sessions are kept) and
-- log it, atomically. The new epoch is above both the stored one and the highest the caller has
-- seen: after a loss, an epoch already stamped into live tokens is never handed out again.
-- KEYS[1]  origin   KEYS[2]  epoch key of the user   KEYS[3]  log stream   KEYS[4]  floor key
-- KEYS[5]  declared window   KEYS[6]  seq
-- ARGV[1]  random part of a new origin   ARGV[2]  sub   ARGV[3]  now (caller ms)   ARGV[4]  window (ms)
-- ARGV[5]  "1" to raise the session floor, "0" to keep sessions
-- ARGV[6]  the highest epoch of this user the caller has seen
-- Returns: {new epoch, log entry id, 1 when the stored epoch was below what the caller had seen}
--!include helpers
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
