-- moveOrigin: data loss was detected; start a new origin (every token issued before it is then
-- rejected), unless another process already moved it. Records the server seen.
-- KEYS[1]  origin   KEYS[2]  server stamp   KEYS[3]  seq
-- ARGV[1]  the origin the caller holds   ARGV[2]  random part of a new origin   ARGV[3]  server run_id
-- Returns: the origin now in force
--!include helpers
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  current = newOrigin(ARGV[2])
  redis.call('SET', KEYS[1], current)
end
redis.call('SET', KEYS[2], ARGV[3])
-- A damaged counter starts over (else every read would see it 'go backwards' again).
if tonumber(redis.call('GET', KEYS[3]) or '0') == nil then redis.call('SET', KEYS[3], 0) end
return current
