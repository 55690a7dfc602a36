-- origin: the dataset's origin, created when missing; declares this process's log window. While a
-- layout is migrated (reshardFrom), a new shard inherits the origin of the layout it replaces (its
-- history is there, followed by every migrating process) and is marked until the migration copied
-- it. A process of the final layout that finds the mark moves the origin: the copy never ran, so
-- every token issued before now is rejected (fail closed, never forget).
-- KEYS[1]  origin   KEYS[2]  declared window   KEYS[3]  seq   KEYS[4]  migration mark
-- ARGV[1]  random part of a new origin (hex; used only when the origin is missing or moves)
-- ARGV[2]  this process's window (ms)
-- ARGV[3]  the origin to inherit when missing ('' for a process of the final layout)
-- Returns: {origin, seq, 1 when the origin moved because the migration never ran (else 0)}
--!include helpers
local declared = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
if tonumber(ARGV[2]) > declared then redis.call('SET', KEYS[2], ARGV[2]) end
local moved = 0
local origin = redis.call('GET', KEYS[1])
if ARGV[3] ~= '' then
  if not origin then
    origin = ARGV[3]
    redis.call('SET', KEYS[1], origin)
    redis.call('SET', KEYS[4], '1')
  end
elseif redis.call('EXISTS', KEYS[4]) == 1 then
  origin = newOrigin(ARGV[1])
  redis.call('SET', KEYS[1], origin)
  redis.call('DEL', KEYS[4])
  moved = 1
end
if not origin then origin = ensureOrigin(KEYS[1], ARGV[1]) end
return {origin, tonumber(redis.call('GET', KEYS[3]) or '0') or 0, moved}
