-- revoke: mark one live session revoked; with an owner, only a session of that subject.
-- KEYS[1]  session key
-- ARGV[1]  now (ms)   ARGV[2]  reason   ARGV[3]  (optional) the subject the session must belong to
-- Returns: 1 when revoked, 0 when there was no such live session (or it belongs to someone else)
--!include helpers
local t = load(KEYS[1])
if not live(t, tonumber(ARGV[1])) then return 0 end
if ARGV[3] and t.s ~= ARGV[3] then return 0 end
t.v = tonumber(ARGV[1])
t.w = ARGV[2]
save(KEYS[1], t)
return 1
