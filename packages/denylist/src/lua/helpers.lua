-- helpers: included (--!include helpers) by the other scripts; no KEYS or ARGV of its own.
-- Redis's own clock, ms. Scripts are replicated by effects (Redis 7), so TIME is allowed.
local function redisMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- A new origin: Redis's own time (never a client clock: a client a few seconds behind would let a
-- token signed just before the loss through) and the caller's random part.
local function newOrigin(random)
  if not string.match(random, '^%x+$') then random = '0' end
  return string.format('%d', redisMs()) .. ':' .. random
end
local function ensureOrigin(key, candidate)
  local origin = redis.call('GET', key)
  if origin then return origin end
  origin = newOrigin(candidate)
  redis.call('SET', key, origin)
  return origin
end
-- Keeps the log to the revocations of one window (approximate trimming: whole nodes only): the
-- largest window any process of this prefix declared (windowKey), so that a revoker configured with
-- a shorter access-token lifetime never trims what a verifier with a longer one still needs.
local function trim(key, id, window, windowKey)
  local declared = tonumber(redis.call('GET', windowKey) or '0') or 0
  local ms = tonumber(string.match(id, '^(%d+)'))
  redis.call('XTRIM', key, 'MINID', '~', string.format('%d', ms - math.max(window, declared)))
end
