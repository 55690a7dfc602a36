-- list: the live sessions of one owner, oldest first (creation time, then session id).
-- KEYS[1]  owner index (string: the session id suffixes, see helpers.lua)
-- ARGV[1]  key prefix of this owner's sessions   ARGV[2]  now (ms)
-- Returns: flat array, per session: the session id suffix, then the RECORD_FIELDS values (numbers as integers, '' when missing);
--          an error when the index does not read
--!include helpers
local alive = liveSessions(KEYS[1], ARGV[1], tonumber(ARGV[2]))
if alive == nil then return redis.error_reply(UNREADABLE_INDEX) end
local out = {}
for _, session in ipairs(alive) do
  out[#out + 1] = session.id
  render(session.t, out)
end
return out
