/**
 * Lua scripts of the Redis store: one per operation, each atomic. Every key a script touches shares
 * the owner's hash tag `{tag}`, so each script runs on Redis Cluster. Replies are integers, strings
 * and flat arrays only, so RESP2 and RESP3 clients parse them alike.
 *
 * A session is one string key holding a MessagePack map (Redis's built-in cmsgpack), which keeps a
 * session with a 120-byte user agent under 400 bytes (a hash with a value over 64 bytes would leave
 * the compact listpack encoding). Stored fields: s sub, g generation, n nonce digest, k secret id,
 * c created (ms); as offsets from c in ms: u last used, r rotated, a absolute expiry, i idle expiry,
 * v revoked at; w revoked reason, e epoch, y user agent, p ip, l label.
 */

/** The fields of a session in replies, in this order (absolute times in ms). */
export const RECORD_FIELDS = [
  's',
  'g',
  'n',
  'k',
  'c',
  'u',
  'r',
  'a',
  'i',
  'v',
  'w',
  'e',
  'ua',
  'ip',
  'lb',
] as const;

/** Shared helpers: load and store a session, render it as a reply, tell whether it is live. */
const HELPERS = `
local OFFSETS = {'u', 'r', 'a', 'i', 'v'}
local META = {ua = 'y', ip = 'p', lb = 'l'}
local function load(key)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  local t = cmsgpack.unpack(raw)
  for _, f in ipairs(OFFSETS) do if t[f] then t[f] = t[f] + t.c end end
  return t
end
local function save(key, t)
  -- Times are stored as offsets from c (smaller MessagePack integers); shifted back after packing.
  for _, f in ipairs(OFFSETS) do if t[f] then t[f] = t[f] - t.c end end
  local packed = cmsgpack.pack(t)
  for _, f in ipairs(OFFSETS) do if t[f] then t[f] = t[f] + t.c end end
  redis.call('SET', key, packed, 'KEEPTTL')
end
-- Numbers are returned as integer replies (times in ms are integers), missing fields as ''.
local RENDER = {'s', 'g', 'n', 'k', 'c', 'u', 'r', 'a', 'i', 'v', 'w', 'e', 'y', 'p', 'l'}
local function render(t, out)
  for _, f in ipairs(RENDER) do
    local value = t[f]
    if value == nil then value = '' end
    out[#out + 1] = value
  end
  return out
end
local function live(t, now)
  return t ~= nil and t.v == nil and now < t.a and now < t.i
end
`;

export const CREATE = `
-- create: store a new session; drop the owner's dead sessions; evict the oldest live ones past the cap.
-- KEYS[1]  session key           KEYS[2]  owner index (zset: session id -> created ms)
-- ARGV[1]  session id            ARGV[2]  key prefix of this owner's sessions (session key = prefix .. id suffix)
-- ARGV[3]  now (ms)              ARGV[4]  max live sessions
-- ARGV[5..] field, value pairs of the new record: s g n k c u r a i [e] [ua ip lb]
-- Returns: flat array of the evicted session ids
${HELPERS}
local now = tonumber(ARGV[3])
local t = {}
for n = 5, #ARGV, 2 do
  local f, value = ARGV[n], ARGV[n + 1]
  if f == 'g' or f == 'c' or f == 'u' or f == 'r' or f == 'a' or f == 'i' or f == 'e' then value = tonumber(value) end
  t[META[f] or f] = value
end
-- Keys expire when the absolute lifetime ends. TTLs are relative to the caller's clock, so a skew
-- between the caller's clock and Redis's own cannot expire a session early.
local ttl = t.a - now
redis.call('SET', KEYS[1], 'x', 'PX', ttl)
save(KEYS[1], t)
redis.call('ZADD', KEYS[2], now, ARGV[1])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
local function keyOf(id) return ARGV[2] .. string.sub(id, 12) end
local alive = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if id == ARGV[1] or live(load(keyOf(id)), now) then
    alive[#alive + 1] = id
  else
    redis.call('DEL', keyOf(id))
    redis.call('ZREM', KEYS[2], id)
  end
end
local evicted = {}
for n = 1, #alive - tonumber(ARGV[4]) do
  redis.call('DEL', keyOf(alive[n]))
  redis.call('ZREM', KEYS[2], alive[n])
  evicted[#evicted + 1] = alive[n]
end
return evicted
`;

export const ROTATE = `
-- rotate: the rotation state machine (brief section 4), atomically.
-- KEYS[1]  session key
-- ARGV[1]  presented generation   ARGV[2]  nonce digest   ARGV[3]  now (ms)
-- ARGV[4]  grace (ms)             ARGV[5]  idle ttl (ms)
-- ARGV[6..] field, value pairs of new metadata (ua, ip, lb) to record on rotation
-- Returns: {'unknown'};
--          or, for the current generation, {'rotated', s, c, a, e}: the caller knows the rest
--          (generation + 1, last used = now, idle expiry = min(now + idle ttl, a));
--          or {status, detail, s, g, c, u, a, i, e} with status one of retry | reused | revoked |
--          expired, detail the expiry kind (absolute | idle) or the revocation reason, else '';
--          then, only when ARGV carries metadata, the stored y p l before this call (for anomaly
--          checks). Missing fields are ''. Replies are kept small on purpose: their size is most of
--          the client's cost per rotation.
--
-- The hot path of the store, so it stands alone (no shared HELPERS: defining them costs more than
-- the state machine) and converts only the stored time offsets it reads or writes.
local raw = redis.call('GET', KEYS[1])
if not raw then return {'unknown'} end
local t = cmsgpack.unpack(raw)
if t.n ~= ARGV[2] then return {'unknown'} end
local c = t.c
local a = t.a + c
local function withMeta(out)
  if #ARGV >= 6 then
    local n = #out
    out[n + 1] = t.y or ''
    out[n + 2] = t.p or ''
    out[n + 3] = t.l or ''
  end
  return out
end
local function reply(status, detail)
  return withMeta({status, detail, t.s, t.g, c, t.u + c, a, t.i + c, t.e or ''})
end
local function save()
  -- Times are stored as offsets from c (see the header of scripts.ts).
  redis.call('SET', KEYS[1], cmsgpack.pack(t), 'KEEPTTL')
end
if t.v then return reply('revoked', t.w or 'revoked') end
local now = tonumber(ARGV[3])
if now >= a then return reply('expired', 'absolute') end
if now >= t.i + c then return reply('expired', 'idle') end
local presented = tonumber(ARGV[1])
if presented == t.g then
  local out = withMeta({'rotated', t.s, c, a, t.e or ''})
  t.g = t.g + 1
  t.u = now - c
  t.r = now - c
  t.i = math.min(now + tonumber(ARGV[5]), a) - c
  for n = 6, #ARGV, 2 do
    local f = ARGV[n]
    if f == 'ua' then t.y = ARGV[n + 1] elseif f == 'ip' then t.p = ARGV[n + 1] elseif f == 'lb' then t.l = ARGV[n + 1] end
  end
  save()
  return out
end
if presented == t.g - 1 and now < t.r + c + tonumber(ARGV[4]) then return reply('retry', '') end
t.v = now - c
t.w = 'reuse'
save()
return reply('reused', 'reuse')
`;

export const REVOKE = `
-- revoke: mark one live session revoked.
-- KEYS[1]  session key
-- ARGV[1]  now (ms)   ARGV[2]  reason
-- Returns: 1 when revoked, 0 when there was no such live session
${HELPERS}
local t = load(KEYS[1])
if not live(t, tonumber(ARGV[1])) then return 0 end
t.v = tonumber(ARGV[1])
t.w = ARGV[2]
save(KEYS[1], t)
return 1
`;

export const REVOKE_ALL = `
-- revokeAll: mark every live session of one owner revoked, but the excepted ones.
-- KEYS[1]  owner index (zset)
-- ARGV[1]  key prefix of this owner's sessions   ARGV[2]  now (ms)   ARGV[3]  reason
-- ARGV[4..] session ids to keep
-- Returns: flat array of the revoked session ids
${HELPERS}
local now = tonumber(ARGV[2])
local keep = {}
for n = 4, #ARGV do keep[ARGV[n]] = true end
local revoked = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. string.sub(id, 12)
  local t = load(key)
  if not keep[id] and live(t, now) then
    t.v = now
    t.w = ARGV[3]
    save(key, t)
    revoked[#revoked + 1] = id
  end
end
return revoked
`;

export const LIST = `
-- list: the live sessions of one owner, oldest first (creation time, then session id).
-- KEYS[1]  owner index (zset)
-- ARGV[1]  key prefix of this owner's sessions   ARGV[2]  now (ms)
-- Returns: flat array, 16 values per session: id, then the RECORD_FIELDS values (numbers as integers, '' when missing)
${HELPERS}
local now = tonumber(ARGV[2])
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local t = load(ARGV[1] .. string.sub(id, 12))
  if live(t, now) then
    out[#out + 1] = id
    render(t, out)
  end
end
return out
`;
