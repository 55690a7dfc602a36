-- epoch: a user's current epoch and session floor (0 when never revoked), read together.
-- KEYS[1]  origin   KEYS[2]  epoch key of the user   KEYS[3]  floor key of the user
-- ARGV[1]  random part of a new origin
-- Returns: {epoch, floor, origin}; an error for a value that is not an integer (never read as 0)
--!include helpers
local origin = ensureOrigin(KEYS[1], ARGV[1])
local values = redis.call('MGET', KEYS[2], KEYS[3])
local epoch, floor = tonumber(values[1] or '0'), tonumber(values[2] or '0')
if epoch == nil or floor == nil then return redis.error_reply('ERR tessera denylist: damaged epoch') end
return {epoch, floor, origin}
