-- origin: the dataset's origin, created when missing; declares this process's log window.
-- KEYS[1]  origin   KEYS[2]  declared window   KEYS[3]  seq
-- ARGV[1]  random part of a new origin (hex; used only when the origin is missing)
-- ARGV[2]  this process's window (ms)
-- Returns: {origin, seq}
--!include helpers
local declared = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if tonumber(ARGV[2]) > declared then redis.call('SET', KEYS[2], ARGV[2]) end
local origin = ensureOrigin(KEYS[1], ARGV[1])
return {origin, tonumber(redis.call('GET', KEYS[3]) or '0') or 0}
