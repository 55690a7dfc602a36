-- revokeSession: log a session revocation.
-- KEYS[1]  origin   KEYS[2]  log stream   KEYS[3]  declared window   KEYS[4]  seq
-- ARGV[1]  random part of a new origin   ARGV[2]  sid   ARGV[3]  now (caller ms)   ARGV[4]  window (ms)
-- Returns: the log entry id
--!include helpers
ensureOrigin(KEYS[1], ARGV[1])
redis.call('INCR', KEYS[4])
local id = redis.call('XADD', KEYS[2], '*', 's1', ARGV[3] .. ':' .. ARGV[2])
trim(KEYS[2], id, tonumber(ARGV[4]), KEYS[3])
return id
