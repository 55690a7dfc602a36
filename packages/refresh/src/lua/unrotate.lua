-- unrotate: undoes rotations whose durability could not be confirmed (WAIT fell short), so that the
-- client, which never received the successor, retries with the same token and finds it current
-- (without this, a retry after the grace window would read as reuse). Only a record that still
-- stands exactly where that rotation left it is touched.
-- KEYS[1..n]  session keys
-- ARGV[1..n]  '<generation the rotation produced> <its now, ms>' per key
-- Returns: the number of rotations undone
local undone = 0
for x = 1, #KEYS do
  local generation, now = string.match(ARGV[x], '^(%d+) (%d+)$')
  local raw = redis.call('GET', KEYS[x])
  if raw and generation then
    local ok, {{HEAD_VARS}} = pcall(struct.unpack, '>{{LAYOUT_HEAD}}', raw)
    if ok and (version == {{RECORD_VERSION}} or version == {{BOUND_VERSION}}) and g == tonumber(generation) and r + c == tonumber(now) then
      redis.call('SETRANGE', KEYS[x], {{HOT_OFFSET}}, struct.pack('{{HOT}}', g - 1, u, r, i))
      undone = undone + 1
    end
  end
end
return undone
