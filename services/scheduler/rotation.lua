-- Rotation pools and requests: small records written with a version check, so two people editing
-- the same request cannot overwrite each other. All rotation keys share the hash tag {rot}:
--   <r> = <prefix>{rot}:
--   <r><kind>:<id>      hash   d (the record, protobuf bytes), v (version, the etag)
--   <index>             set    ids of a pool's requests / an organisation's pools
--   <r>plan:<id>        string a plan (protobuf bytes); drafts with a TTL, committed ones kept
--   <r>committed:<pool> string the id of the pool's committed plan
--   <r>req:<org>:<id>   string replayed version of a mutating call

-- ARGV: key, data, expected etag ('' = create), index key, id, replay key, ttl, kind (for errors).
-- Returns the new version.
local function rot_put(_, args)
  local key, data, etag, index, id, kind = args[1], args[2], args[3], args[4], args[5], args[8]
  local replayed = replay_get(args[6])
  if replayed then return tonumber(replayed) end
  local current = redis.call('HGET', key, 'v')
  if etag == '' and current then return redis.error_reply('ALREADY_EXISTS ' .. kind .. ' ' .. id) end
  if etag ~= '' then
    if not current then return redis.error_reply('NOT_FOUND ' .. kind .. ' ' .. id) end
    if current ~= etag then return redis.error_reply('ABORTED ' .. kind .. ' ' .. id) end
  end
  local v = redis.call('HINCRBY', key, 'v', 1)
  redis.call('HSET', key, 'd', data)
  redis.call('SADD', index, id)
  replay_put(args[6], args[7], tostring(v))
  return v
end

-- Hand-overs: <r>ho:<id> hash id, plan, unit, from, to, t, dl (deadline ms), st
-- (PENDING/CONFIRMED/OVERDUE/CONFIRMED_LATE), fc/tc (confirmed ms), fn/tn (condition notes), cl
-- (checklist, one item per line); <r>hos:<plan> set; <r>ho:due zset (deadline); <r>events stream.

-- ARGV: base, id, organisation, notes. Returns the hand-over as JSON. The second confirmation
-- makes it CONFIRMED, or CONFIRMED_LATE when it is OVERDUE or its deadline has passed (the same
-- test as the sweeper's, so the state does not depend on which ran first).
local function rot_handover_confirm(keys, args)
  local base, id, org, notes = args[1], args[2], args[3], args[4]
  local h = read_hash(keys[1])
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
    redis.call('ZREM', base .. 'ho:due', id)
  end
  redis.call('HSET', keys[1], 'fc', h.fc or '', 'fn', h.fn or '', 'tc', h.tc or '', 'tn', h.tn or '', 'st', h.st)
  return cjson.encode(h)
end

-- Marks hand-overs past their deadline without both confirmations OVERDUE, with an event each.
-- ARGV: base, limit, maxlen. Returns how many.
local function rot_handover_due(keys, args)
  local base = args[1]
  local ids = redis.call('ZRANGEBYSCORE', keys[1], '-inf', now_ms(), 'LIMIT', 0, tonumber(args[2]))
  for _, id in ipairs(ids) do
    redis.call('ZREM', keys[1], id)
    local key = base .. 'ho:' .. id
    if redis.call('HGET', key, 'st') == 'PENDING' then
      redis.call('HSET', key, 'st', 'OVERDUE')
      redis.call('XADD', base .. 'events', 'MAXLEN', '~', tonumber(args[3]), '*', 'type', 'HANDOVER_OVERDUE',
                 'id', id, 'plan', redis.call('HGET', key, 'plan'))
    end
  end
  return #ids
end

-- Commits a plan: the pool's committed-plan pointer moves from `expected` to the plan, in the
-- same step as the plan is stored (kept), the plan it replaces is stored as superseded, and the
-- hand-overs change: those both plans share move to the new plan, the old plan's others go, the
-- new plan's others are created.
-- KEYS[1] <r>committed:<pool>.
-- ARGV: base, expected committed plan id ('' = none), plan id, plan bytes, replaced plan id
--       ('' = none), replaced plan bytes, kept hand-over ids, dropped hand-over ids (both
--       space-separated), new hand-overs (JSON array of {id, unit, from, to, t, dl, cl}).
local function rot_commit(keys, args)
  local base, expected, id, old = args[1], args[2], args[3], args[5]
  if (redis.call('GET', keys[1]) or '') ~= expected then
    return redis.error_reply('ABORTED the pool\'s committed plan changed')
  end
  redis.call('SET', base .. 'plan:' .. id, args[4])
  if old ~= '' then redis.call('SET', base .. 'plan:' .. old, args[6]) end
  for h in string.gmatch(args[7], '%S+') do
    redis.call('HSET', base .. 'ho:' .. h, 'plan', id)
    redis.call('SREM', base .. 'hos:' .. old, h)
    redis.call('SADD', base .. 'hos:' .. id, h)
  end
  for h in string.gmatch(args[8], '%S+') do
    redis.call('DEL', base .. 'ho:' .. h)
    redis.call('SREM', base .. 'hos:' .. old, h)
    redis.call('ZREM', base .. 'ho:due', h)
  end
  for _, h in ipairs(cjson.decode(args[9])) do
    redis.call('HSET', base .. 'ho:' .. h.id, 'id', h.id, 'plan', id, 'unit', h.unit, 'from', h.from,
               'to', h.to, 't', h.t, 'dl', h.dl, 'cl', h.cl, 'st', 'PENDING')
    redis.call('SADD', base .. 'hos:' .. id, h.id)
    redis.call('ZADD', base .. 'ho:due', h.dl, h.id)
  end
  redis.call('SET', keys[1], id)
  return 'OK'
end

redis.register_function('rot_put', rot_put)
redis.register_function('rot_commit', rot_commit)
redis.register_function('rot_handover_confirm', rot_handover_confirm)
redis.register_function('rot_handover_due', rot_handover_due)
