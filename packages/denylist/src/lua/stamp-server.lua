-- stampServer: records the Redis process serving this dataset, if none is recorded or it is still
-- the expected one (compare-and-set).
-- KEYS[1]  server stamp
-- ARGV[1]  expected stamp ('' when none was recorded)   ARGV[2]  run_id
-- Returns: 1 when stamped, 0 when another process changed it first
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
