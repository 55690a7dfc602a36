-- helpers: included (--!include helpers) by create, revoke, revoke-all and list; no KEYS or ARGV of
-- its own. Decode a record to a table of absolute times (missing fields nil), encode it back, render
-- it as a reply, tell whether it is live; read an owner index.
local LAYOUT = '{{LAYOUT}}'
local META = {{{META_TABLE}}}
-- A record as a table; nil when there is none; false when it does not decode (another version,
-- damaged, a key of another type): treated as no session, and never rewritten or deleted.
local function load(key)
  local found, raw = pcall(redis.call, 'GET', key)
  if not found then return false end
  if not raw then return nil end
  local ok, {{RECORD_VARS}}, after = pcall(struct.unpack, LAYOUT, raw)
  if not ok or (version ~= {{RECORD_VERSION}} and version ~= {{BOUND_VERSION}}) then return false end
  local j = ''
  if version == {{BOUND_VERSION}} then
    -- A bound record carries its key after the tail, never empty.
    local read, key, rest = pcall(struct.unpack, '{{LAYOUT_BOUND}}', raw, after)
    if not read or key == '' then return false end
    j, after = key, rest
  end
  if after ~= #raw + 1 then return false end
  local t = {n = n, g = g, c = c, u = u + c, r = r + c, i = i + c, a = a + c, k = k, s = s}
  if v > 0 then t.v = v - 1 + c; t.w = w end
  if e > 0 then t.e = e - 1 end
  if y ~= '' then t.y = y end
  if p ~= '' then t.p = p end
  if l ~= '' then t.l = l end
  if j ~= '' then t.j = j end
  return t
end
-- A bound session's record is version {{BOUND_VERSION}}: version {{RECORD_VERSION}}'s layout, then the key.
local function encode(t)
  local c = t.c
  local v, e = 0, 0
  -- Clamped at c: a clock stepped back must never turn a revocation into 'live' (v = 0).
  if t.v then v = math.max(t.v - c, 0) + 1 end
  if t.e then e = t.e + 1 end
  local w, y, p, l = t.w or '', t.y or '', t.p or '', t.l or ''
  local version, bound = {{RECORD_VERSION}}, ''
  if t.j then version, bound = {{BOUND_VERSION}}, struct.pack('{{LAYOUT_BOUND}}', #t.j, t.j) end
  return struct.pack(LAYOUT, version, t.n, t.g, t.u - c, t.r - c, t.i - c, c, t.a - c, v, e,
    #t.k, t.k, #t.s, t.s, #w, w, #y, y, #p, p, #l, l) .. bound
end
local function save(key, t)
  redis.call('SET', key, encode(t), 'KEEPTTL')
end
-- Numbers are returned as integer replies (times in ms are integers), missing fields as ''.
local RENDER = {{{RENDER_FIELDS}}}
local function render(t, out)
  for _, f in ipairs(RENDER) do
    local value = t[f]
    if value == nil then value = '' end
    out[#out + 1] = value
  end
  return out
end
local function live(t, now)
  return t and t.v == nil and now < t.a and now < t.i
end
-- An owner index is one string: the version character '{{INDEX_VERSION}}', then the {{SUFFIX_LENGTH}}-character random
-- parts of the owner's session ids, run together (an index of a multiple of {{SUFFIX_LENGTH}} characters predates the
-- version character). Nil for an index that does not read: callers refuse to act on it.
local function members(index)
  local found, raw = pcall(redis.call, 'GET', index)
  if not found then return nil end
  raw = raw or '{{INDEX_VERSION}}'
  local from = 2
  if #raw % {{SUFFIX_LENGTH}} == 0 then from = 1
  elseif #raw % {{SUFFIX_LENGTH}} ~= 1 or string.sub(raw, 1, 1) ~= '{{INDEX_VERSION}}' then return nil end
  local ids = {}
  for at = from, #raw, {{SUFFIX_LENGTH}} do ids[#ids + 1] = string.sub(raw, at, at + {{SUFFIX_LAST}}) end
  return ids
end
local function byAge(x, y) return x.t.c < y.t.c or (x.t.c == y.t.c and x.id < y.id) end
-- The live sessions an index lists, as {id, t}, oldest first (creation time, then id, as the memory
-- store orders them), with `extra` (a new session, not yet listed) among them; dead(id) is called
-- for each listed session that is over. A record that does not decode is neither: its id is
-- returned second. Nil when the index does not read.
local function liveSessions(index, sessionPrefix, now, dead, extra)
  local ids = members(index)
  if ids == nil then return nil end
  local found, unreadable = {extra}, {}
  for _, id in ipairs(ids) do
    local t = load(sessionPrefix .. id)
    if live(t, now) then found[#found + 1] = {id = id, t = t}
    elseif t == false then unreadable[#unreadable + 1] = id
    elseif dead then dead(id) end
  end
  table.sort(found, byAge)
  return found, unreadable
end
local UNREADABLE_INDEX = 'ERR tessera refresh: the owner index does not read (another version, or damaged)'
