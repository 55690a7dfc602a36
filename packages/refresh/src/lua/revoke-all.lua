-- revokeAll: mark every live session of one owner revoked, but the excepted ones.
-- KEYS[1]  owner index (string: the session id suffixes, see helpers.lua)
-- ARGV[1]  key prefix of this owner's sessions   ARGV[2]  now (ms)   ARGV[3]  reason
-- ARGV[4..] session id suffixes to keep
-- Returns: flat array of the revoked session id suffixes, oldest first; an error when the index
-- does not read (nothing is revoked then: the caller must know "log out everywhere" did not happen)
-- A listed record that does not decode is deleted (its token then names no session: the strongest
-- revocation there is), unless kept, and reported with the revoked ones.
--!include helpers
local now = tonumber(ARGV[2])
local keep = {}
for n = 4, #ARGV do keep[ARGV[n]] = true end
local alive, unreadable = liveSessions(KEYS[1], ARGV[1], now)
if alive == nil then return redis.error_reply(UNREADABLE_INDEX) end
local revoked = {}
for _, id in ipairs(unreadable) do
  if not keep[id] then
    redis.call('DEL', ARGV[1] .. id)
    revoked[#revoked + 1] = id
  end
end
for _, session in ipairs(alive) do
  if not keep[session.id] then
    session.t.v = now
    session.t.w = ARGV[3]
    save(ARGV[1] .. session.id, session.t)
    revoked[#revoked + 1] = session.id
  end
end
return revoked
