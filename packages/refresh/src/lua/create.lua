-- create: store a new session; drop the owner's dead sessions; evict the oldest live ones past the cap.
-- KEYS[1]  session key           KEYS[2]  owner index (string: the session id suffixes, see helpers.lua)
-- ARGV[1]  session id suffix     ARGV[2]  key prefix of this owner's sessions (session key = prefix .. suffix)
-- ARGV[3]  now (ms)              ARGV[4]  max live sessions
-- ARGV[5..] field, value pairs of the new record: s g n k c u r a i [e] [ua ip lb]
-- Returns: flat array of the evicted session id suffixes; an error when the index does not read
-- (written by another version, or damaged: it is left as it is)
--!include helpers
if members(KEYS[2]) == nil then return redis.error_reply(UNREADABLE_INDEX) end
local now = tonumber(ARGV[3])
local t = {}
for n = 5, #ARGV, 2 do
  local f, value = ARGV[n], ARGV[n + 1]
  if f == 'g' or f == 'c' or f == 'u' or f == 'r' or f == 'a' or f == 'i' or f == 'v' or f == 'e' then value = tonumber(value) end
  t[META[f] or f] = value
end
-- Keys expire when the absolute lifetime ends. TTLs are relative to the caller's clock, so a skew
-- between the caller's clock and Redis's own cannot expire a session early.
local ttl = t.a - now
redis.call('SET', KEYS[1], encode(t), 'PX', ttl)
local function drop(id) redis.call('DEL', ARGV[2] .. id) end
local alive, unreadable = liveSessions(KEYS[2], ARGV[2], now, drop, {id = ARGV[1], t = t})
-- Records this version cannot read stay listed (first) and count for nothing here.
local evicted, kept = {}, unreadable
for n, session in ipairs(alive) do
  if n <= #alive - tonumber(ARGV[4]) then
    drop(session.id)
    evicted[#evicted + 1] = session.id
  else
    kept[#kept + 1] = session.id
  end
end
-- Rewritten whole (an exact allocation; APPEND would reserve room to grow), living as long as its longest session.
redis.call('SET', KEYS[2], '{{INDEX_VERSION}}' .. table.concat(kept), 'PX', math.max(redis.call('PTTL', KEYS[2]), ttl))
return evicted
