-- Rotation pools and requests: small records written with a version check, so two people editing
-- the same request cannot overwrite each other. All rotation keys share the hash tag {rot}:
--   <r> = <prefix>{rot}:
--   <r><kind>:<id>      hash   d (the record, protobuf bytes), v (version, the etag)
--   <index>             set    ids of a pool's requests / an organisation's pools
--   <r>plan:<id>        string a plan (protobuf bytes); drafts with a TTL, committed ones kept
--   <r>committed:<pool> string the id of the pool's committed plan
--   <r>req:<org>:<id>   string replayed version of a mutating call

-- KEYS: record (<r><kind>:<id>), index (the set it is listed in), replay (none without a request
--       id; see the prelude).
-- ARGV: data, etag (expected, '' = create), id, fingerprint, replay_ttl, kind (for errors).
-- Returns the new version.
local function rot_put(keys, args)
  local k, a = named(keys, args)
  local key, data, etag, index, id, kind = k.record, a.data, a.etag, k.index, a.id, a.kind
  local replayed = replay_get(k, a)
  if replayed then return tonumber(replayed) end
  local current = redis.call('HGET', key, 'v')
  if etag == '' and current then
    return redis.error_reply('ALREADY_EXISTS ' .. kind .. ' ' .. id)
  end
  if etag ~= '' then
    if not current then return redis.error_reply('NOT_FOUND ' .. kind .. ' ' .. id) end
    if current ~= etag then return redis.error_reply('ABORTED ' .. kind .. ' ' .. id) end
  end
  local v = redis.call('HINCRBY', key, 'v', 1)
  redis.call('HSET', key, 'd', data)
  redis.call('SADD', index, id)
  replay_put(k, a, tostring(v))
  return v
end

-- Hand-overs: <r>ho:<id> hash id, plan, unit, from, to, t, dl (deadline ms), st
-- (PENDING/CONFIRMED/OVERDUE/CONFIRMED_LATE), fc/tc (confirmed ms), fn/tn (condition notes), cl
-- (checklist, one item per line); <r>hos:<plan> set; <r>ho:due zset (deadline); <r>events stream:
-- type (HANDOVER_PLANNED, HANDOVER_CONFIRMED, HANDOVER_OVERDUE, HANDOVER_DROPPED), id, plan, from,
-- to, t. Only OVERDUE is a RotationEventType; the others are there for timed webhooks
-- (handover.due), which they set and end.

-- One entry on the rotation events stream about hand-over `h` (its hash's fields).
local function handover_event(events, maxlen, type, h)
  redis.call('XADD', events, 'MAXLEN', '~', tonumber(maxlen), '*', 'type', type, 'id', h.id,
             'plan', h.plan or '', 'from', h.from or '', 'to', h.to or '', 't', h.t or '')
end

-- KEYS: due (<r>ho:due), handover (<r>ho:<id>), events. ARGV: id, org, notes, maxlen.
-- Returns the hand-over as JSON. The second confirmation makes it CONFIRMED, or CONFIRMED_LATE
-- when it is OVERDUE or its deadline has passed (the same test as the sweeper's, so the state
-- does not depend on which ran first).
local function rot_handover_confirm(keys, args)
  local k, a = named(keys, args)
  local id, org, notes = a.id, a.org, a.notes
  local h = read_hash(k.handover)
  if not h then return redis.error_reply('NOT_FOUND handover ' .. id) end
  local now_number = now_ms()
  local now = int_text(now_number)
  if org == h.from and (h.fc or '') == '' then
    h.fc, h.fn = now, notes
  elseif org == h.to and (h.tc or '') == '' then
    h.tc, h.tn = now, notes
  elseif org ~= h.from and org ~= h.to then
    return redis.error_reply('NOT_FOUND handover ' .. id)
  end
  if (h.fc or '') ~= '' and (h.tc or '') ~= '' and (h.st == 'PENDING' or h.st == 'OVERDUE') then
    local late = h.st == 'OVERDUE' or now_number >= tonumber(h.dl)
    h.st = late and 'CONFIRMED_LATE' or 'CONFIRMED'
    redis.call('ZREM', k.due, id)
    handover_event(k.events, a.maxlen, 'HANDOVER_CONFIRMED', h)
  end
  redis.call('HSET', k.handover, 'fc', h.fc or '', 'fn', h.fn or '', 'tc', h.tc or '',
             'tn', h.tn or '', 'st', h.st)
  return cjson.encode(h)
end

-- Marks hand-overs past their deadline without both confirmations OVERDUE, with an event each.
-- KEYS: base (<r>: the hand-overs due are built from it), due (<r>ho:due), events.
-- ARGV: limit, maxlen. Returns how many.
local function rot_handover_due(keys, args)
  local k, a = named(keys, args)
  local base = k.base
  local ids = redis.call('ZRANGEBYSCORE', k.due, '-inf', now_ms(), 'LIMIT', 0, tonumber(a.limit))
  for _, id in ipairs(ids) do
    redis.call('ZREM', k.due, id)
    local key = base .. 'ho:' .. id
    local h = read_hash(key)
    if h and h.st == 'PENDING' then
      redis.call('HSET', key, 'st', 'OVERDUE')
      handover_event(k.events, a.maxlen, 'HANDOVER_OVERDUE', h)
    end
  end
  return #ids
end

-- Commits a plan: the pool's committed-plan pointer moves from `expected` to the plan, in the
-- same step as the plan is stored (kept), the plan it replaces is stored as superseded, and the
-- hand-overs change: those both plans share move to the new plan, the old plan's others go, the
-- new plan's others are created.
-- KEYS: base (<r>: the hand-over keys are built from it), committed (<r>committed:<pool>), plan
-- (<r>plan:<id>), replaced_plan (<r>plan:<replaced>, or the same as plan when none), due
-- (<r>ho:due), events (HANDOVER_PLANNED for each new hand-over, HANDOVER_DROPPED for each gone).
-- ARGV: id (the plan's), plan (its bytes), replaced (the pool's committed plan id the caller
--       expects, '' = none), replaced_plan (its bytes, as superseded), kept, dropped (hand-over
--       ids, space-separated), handovers (new ones, JSON array of {id, unit, from, to, t, dl,
--       cl}), maxlen (of events).
local function rot_commit(keys, args)
  local k, a = named(keys, args)
  local base, id, old = k.base, a.id, a.replaced
  if (redis.call('GET', k.committed) or '') ~= old then
    return redis.error_reply('ABORTED the pool\'s committed plan changed')
  end
  redis.call('SET', k.plan, a.plan)
  if old ~= '' then redis.call('SET', k.replaced_plan, a.replaced_plan) end
  for h in string.gmatch(a.kept, '%S+') do
    redis.call('HSET', base .. 'ho:' .. h, 'plan', id)
    redis.call('SREM', base .. 'hos:' .. old, h)
    redis.call('SADD', base .. 'hos:' .. id, h)
  end
  for h in string.gmatch(a.dropped, '%S+') do
    local gone = read_hash(base .. 'ho:' .. h)
    if gone then handover_event(k.events, a.maxlen, 'HANDOVER_DROPPED', gone) end
    redis.call('DEL', base .. 'ho:' .. h)
    redis.call('SREM', base .. 'hos:' .. old, h)
    redis.call('ZREM', k.due, h)
  end
  for _, h in ipairs(cjson.decode(a.handovers)) do
    redis.call('HSET', base .. 'ho:' .. h.id, 'id', h.id, 'plan', id, 'unit', h.unit,
               'from', h.from, 'to', h.to, 't', h.t, 'dl', h.dl, 'cl', h.cl, 'st', 'PENDING')
    redis.call('SADD', base .. 'hos:' .. id, h.id)
    redis.call('ZADD', k.due, h.dl, h.id)
    h.plan = id
    handover_event(k.events, a.maxlen, 'HANDOVER_PLANNED', h)
  end
  redis.call('SET', k.committed, id)
  return 'OK'
end

register('rot_put', rot_put)
register('rot_commit', rot_commit)
register('rot_handover_confirm', rot_handover_confirm)
register('rot_handover_due', rot_handover_due)
