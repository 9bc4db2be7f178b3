-- Rotation pools and requests: small records written with a version check, so two people editing
-- the same request cannot overwrite each other. All rotation keys share the hash tag {rot}:
--   <r> = <prefix>{rot}:
--   <r><kind>:<id>      hash   d (the record, protobuf bytes), v (version, the etag)
--   <index>             set    ids of a pool's requests / an organisation's pools
--   <r>plan:<id>        string a draft plan (protobuf bytes), written with a TTL by the server
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
-- (PENDING/CONFIRMED/OVERDUE), fc/tc (confirmed ms), fn/tn (condition notes), cl (checklist, one
-- item per line); <r>hos:<plan> set; <r>ho:due zset (deadline); <r>events stream.

-- ARGV: base, id, organisation, notes. Returns the hand-over as JSON.
local function rot_handover_confirm(keys, args)
  local base, id, org, notes = args[1], args[2], args[3], args[4]
  local h = read_hash(keys[1])
  if not h then return redis.error_reply('NOT_FOUND handover ' .. id) end
  local now = tostring(now_ms())
  if org == h.from and (h.fc or '') == '' then
    h.fc, h.fn = now, notes
  elseif org == h.to and (h.tc or '') == '' then
    h.tc, h.tn = now, notes
  elseif org ~= h.from and org ~= h.to then
    return redis.error_reply('NOT_FOUND handover ' .. id)
  end
  if (h.fc or '') ~= '' and (h.tc or '') ~= '' and h.st ~= 'CONFIRMED' then
    h.st = 'CONFIRMED'
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

redis.register_function('rot_put', rot_put)
redis.register_function('rot_handover_confirm', rot_handover_confirm)
redis.register_function('rot_handover_due', rot_handover_due)
