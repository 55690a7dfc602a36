-- mergeEpoch: a user's epoch or session floor copied into the layout a migration moves to. Only
-- ever raises: the target keeps the larger of its own value and the copied one (both only grow).
-- KEYS[1]  epoch or floor key in the target shard
-- ARGV[1]  the value in the layout migrated from
-- Returns: 1 when the target was raised, 0 when it already held as much
local copied = tonumber(ARGV[1])
if copied == nil then return redis.error_reply('ERR tessera denylist: damaged epoch') end
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if held == nil then return redis.error_reply('ERR tessera denylist: damaged epoch') end
if copied <= held then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
