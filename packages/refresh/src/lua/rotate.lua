-- rotate: the rotation state machine (docs/refresh-tokens.md), for one or more sessions, each atomically.
-- KEYS[1..n]  session keys, one per rotation (on a Cluster, n is 1)
-- ARGV        per rotation, in KEYS order: '<presented generation> <nonce digest> <now ms> <grace ms>
--             <idle ttl ms> <m> <jkt>' (one argument: each argument costs the client more to encode
--             than this script to split), then m more arguments. jkt is the thumbprint of the
--             request's DPoP key, '-' for none. m is -1 when the caller does not want
--             the stored metadata back; else m >= 0 and the m arguments are field, value pairs of
--             new metadata (ua, ip, lb) to record on rotation.
-- Returns: flat array, each rotation's reply in KEYS order, led by an integer status:
--          {0} unknown;
--          {1, c, a, e, s} rotated (the current generation): the caller knows the rest
--          (generation + 1, last used = now, idle expiry = min(now + idle ttl, a));
--          {status, detail, s, g, c, u, a, i, e} with status 2 retry, 3 reused, 4 revoked or
--          5 expired or 6 key_mismatch (a bound session, and jkt is not its key: nothing
--          changes), detail the expiry kind (absolute | idle) or the revocation reason, else '';
--          each but unknown followed, only when m >= 0, by the stored y p l before this call
--          (for anomaly checks), then, only when jkt is not '-', by the session's key j ('' when
--          unbound); or {-1, message} when this rotation failed (the others still
--          ran). e is the epoch, -1 when none; missing strings are ''. Replies are kept small and
--          mostly integers on purpose: each string costs the client an allocation to parse.
--
-- The hot path of the store, so it stands alone (no shared helpers.lua: defining them costs more than
-- the state machine) and reads the stored offsets as they are. A rotation whose metadata is
-- unchanged (or absent) rewrites only the hot fields, in place.
-- The reply, and how many values it holds (appended by index: no table per rotation).
local out, o = {}, 0
-- A rotation's reply in the full form.
-- The session's key for the reply of the rotation running, nil when the request named none.
local replyKey
local function reply(status, detail, s, g, c, u, a, i, e, withMeta, y, p, l)
  out[o + 1] = status; out[o + 2] = detail; out[o + 3] = s; out[o + 4] = g; out[o + 5] = c
  out[o + 6] = u + c; out[o + 7] = a + c; out[o + 8] = i + c; out[o + 9] = e - 1
  o = o + {{REPLY_FULL}}
  if withMeta then out[o + 1] = y; out[o + 2] = p; out[o + 3] = l; o = o + {{REPLY_META}} end
  if replyKey then o = o + 1; out[o] = replyKey end
end
-- The tail of a record (revocation reason, device metadata, and a bound record's key: '' for
-- version {{RECORD_VERSION}}); nil when it does not decode exactly (too short, bytes left over, an empty key).
local function tailOf(raw, at, version)
  local ok, {{TAIL_VARS}}, after = pcall(struct.unpack, '>{{LAYOUT_TAIL}}', raw, at)
  if not ok then return end
  local j = ''
  if version == {{BOUND_VERSION}} then
    ok, j, after = pcall(struct.unpack, '{{LAYOUT_BOUND}}', raw, after)
    if not ok or j == '' then return end
  end
  if after == #raw + 1 then return w, y, p, l, j end
end
-- What a rewrite appends after the tail: a bound record's key.
local function boundTail(j)
  if j == '' then return '' end
  return struct.pack('{{LAYOUT_BOUND}}', #j, j)
end
local function rotate(key, from, presented, nonce, now, grace, idleTtl, m, jkt)
  -- No session: no key, a key of another type, a record of another version or one that does not
  -- decode. All read as unknown (fail closed), and the key is left as it is.
  local found, raw = pcall(redis.call, 'GET', key)
  if not found or not raw then o = o + 1; out[o] = 0; return end
  local ok, {{HEAD_VARS}}, tail = pcall(struct.unpack, '>{{LAYOUT_HEAD}}', raw)
  if not ok or (version ~= {{RECORD_VERSION}} and version ~= {{BOUND_VERSION}}) or type(s) ~= 'string' or n ~= nonce then
    o = o + 1; out[o] = 0; return
  end
  local withMeta = m >= 0
  -- The whole record must decode, tail (revocation reason, device metadata) included: a damaged one
  -- is never read as a live session.
  local w, y, p, l, j = tailOf(raw, tail, version)
  if not l then o = o + 1; out[o] = 0; return end
  replyKey = nil
  if jkt ~= '-' then replyKey = j end
  -- Security: a bound session moves only for a proof by its key, checked before anything else (a
  -- thief without the key learns nothing of the session and changes nothing).
  if j ~= '' and jkt ~= j then return reply(6, '', s, g, c, u, a, i, e, withMeta, y, p, l) end
  if v > 0 then return reply(4, w, s, g, c, u, a, i, e, withMeta, y, p, l) end
  now = tonumber(now) - c
  if now >= a then return reply(5, 'absolute', s, g, c, u, a, i, e, withMeta, y, p, l) end
  if now >= i then return reply(5, 'idle', s, g, c, u, a, i, e, withMeta, y, p, l) end
  if tonumber(presented) == g then
    local idle = math.min(now + tonumber(idleTtl), a)
    out[o + 1] = 1; out[o + 2] = c; out[o + 3] = a + c; out[o + 4] = e - 1; out[o + 5] = s
    o = o + {{REPLY_ROTATED}}
    if withMeta then
      out[o + 1] = y; out[o + 2] = p; out[o + 3] = l
      o = o + {{REPLY_META}}
      if replyKey then o = o + 1; out[o] = replyKey end
      local y2, p2, l2 = y, p, l
      for j = from + 1, from + m, 2 do
        local f = ARGV[j]
        {{META_ASSIGN}} end
      end
      if y2 ~= y or p2 ~= p or l2 ~= l then
        redis.call('SET', key, struct.pack('{{LAYOUT}}', version, n, g + 1, now, now, idle, c, a, v, e,
          #k, k, #s, s, #w, w, #y2, y2, #p2, p2, #l2, l2) .. boundTail(j), 'KEEPTTL')
        return
      end
    elseif replyKey then
      o = o + 1; out[o] = replyKey
    end
    redis.call('SETRANGE', key, {{HOT_OFFSET}}, struct.pack('{{HOT}}', g + 1, now, now, idle))
    return
  end
  if tonumber(presented) == g - 1 and now < r + tonumber(grace) then
    return reply(2, '', s, g, c, u, a, i, e, withMeta, y, p, l)
  end
  -- A generation ahead of the store was issued by a rotation the store no longer holds (restored
  -- from an older snapshot, a lagging replica promoted): the store cannot vouch for this chain.
  -- The session ends (revoked, reason store_behind); it is not theft.
  -- Any older generation was issued and then superseded: reuse. The whole session is revoked.
  local reason, status = 'reuse', 3
  if tonumber(presented) > g then reason, status = 'store_behind', 4 end
  -- Clamped at c, as in helpers.lua: a clock stepped back must never record the revocation as 0 (live).
  redis.call('SET', key, struct.pack('{{LAYOUT}}', version, n, g, u, r, i, c, a, math.max(now, 0) + 1, e,
    #k, k, #s, s, #reason, reason, #y, y, #p, p, #l, l) .. boundTail(j), 'KEEPTTL')
  return reply(status, reason, s, g, c, u, a, i, e, withMeta, y, p, l)
end
local from = 1
for x = 1, #KEYS do
  local presented, nonce, now, grace, idleTtl, m, jkt = string.match(ARGV[from] or '', '^(%S+) (%S+) (%S+) (%S+) (%S+) (-?%d+) (%S+)$')
  if not m then return redis.error_reply('ERR tessera rotate: malformed arguments') end
  m = tonumber(m)
  local mark = o
  local ok, failure = pcall(rotate, KEYS[x], from, presented, nonce, now, grace, idleTtl, m, jkt)
  if not ok then
    -- Only this rotation fails (a corrupt or foreign value at its key); what it had put is dropped.
    for j = o, mark + 1, -1 do out[j] = nil end
    o = mark
    if type(failure) == 'table' then failure = failure.err end
    o = o + 2; out[o - 1] = -1; out[o] = tostring(failure)
  end
  from = from + 1 + math.max(m, 0)
end
return out
