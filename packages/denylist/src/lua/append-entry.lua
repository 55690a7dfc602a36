-- appendEntry: a log entry copied, as it is, into the shard a migration routes it to (it counts as a
-- revocation logged: the shard's seq grows).
-- KEYS[1]  origin   KEYS[2]  log stream   KEYS[3]  declared window   KEYS[4]  seq
-- ARGV[1]  random part of a new origin   ARGV[2]  field   ARGV[3]  value   ARGV[4]  window (ms)
-- Returns: the new entry's id
--!include helpers
ensureOrigin(KEYS[1], ARGV[1])
redis.call('INCR', KEYS[4])
local id = redis.call('XADD', KEYS[2], '*', ARGV[2], ARGV[3])
trim(KEYS[2], id, tonumber(ARGV[4]), KEYS[3])
return id
