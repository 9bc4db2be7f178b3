-- Registry records. Every key shares the {reg} hash tag, so a write, its index entries, its replay
-- record and its change event are one atomic step (docs/redis-keys.md, docs/DECISIONS.md).
--   <p>{reg}:<kind>:<id>   hash    d = protobuf, v = version (the etag), ix = index keys it is in
--   <p>{reg}:ids:<kind>    zset    all ids of a kind (score 0, lexicographic pages)
--   <p>{reg}:ix:<name>     zset    secondary indexes, e.g. ix:owner:<org>, ix:net:<network>
--   <p>{reg}:events        stream  one entry per change: kind, id, op, v, d
--   <p>{reg}:gone:<kind>   set     ids of deleted entities: never created again, so a new
--                                  object can inherit nothing (bookings, tokens) of an old one
--   <p>{reg}:req:<org>:<request id>  string  replayed response of a mutating call

local function split_ix(text)
  local out = {}
  if text then
    for key in string.gmatch(text, '%S+') do out[#out + 1] = key end
  end
  return out
end

-- KEYS[1] entity key.
-- ARGV: base, kind, id, expected version ('' = must not exist), new version, data, replay key,
--       replay ttl, events maxlen, n refs, refs..., n index keys, index keys...
local function reg_put(keys, args)
  local base, kind, id, expected, version, data = args[1], args[2], args[3], args[4], args[5], args[6]
  local previous = replay_get(args[7])
  if previous then return {'replay', previous} end
  local current = redis.call('HGET', keys[1], 'v')
  if expected == '' and current then return redis.error_reply('ALREADY_EXISTS ' .. kind .. ' ' .. id) end
  if expected == '' and redis.call('SISMEMBER', base .. 'gone:' .. kind, id) == 1 then
    return redis.error_reply('FAILED_PRECONDITION ID_RETIRED ' .. kind .. ' ' .. id ..
                             ' was deleted; a deleted id is never used again')
  end
  if expected ~= '' and not current then return redis.error_reply('NOT_FOUND ' .. kind .. ' ' .. id) end
  if expected ~= '' and current ~= expected then return redis.error_reply('ABORTED ' .. kind .. ' ' .. id) end
  local n_refs = tonumber(args[10])
  for i = 1, n_refs do
    local ref = args[10 + i]
    if redis.call('EXISTS', base .. ref) == 0 then
      local ref_kind, ref_id = string.match(ref, '^(%w+):(.*)$')
      return redis.error_reply('NOT_FOUND ' .. ref_kind .. ' ' .. ref_id)
    end
  end
  local at = 11 + n_refs
  local n_ix = tonumber(args[at])
  local new_ix = {}
  for i = 1, n_ix do new_ix[i] = args[at + i] end
  for _, old in ipairs(split_ix(redis.call('HGET', keys[1], 'ix'))) do
    redis.call('ZREM', base .. old, id)
  end
  for _, ix in ipairs(new_ix) do redis.call('ZADD', base .. ix, 0, id) end
  redis.call('HSET', keys[1], 'd', data, 'v', version, 'ix', table.concat(new_ix, ' '))
  redis.call('ZADD', base .. 'ids:' .. kind, 0, id)
  local op = current and 'updated' or 'created'
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', args[9], '*',
             'kind', kind, 'id', id, 'op', op, 'v', version, 'd', data)
  replay_put(args[7], args[8], data)
  return {op, version}
end

-- KEYS[1] entity key.
-- ARGV: base, kind, id, expected version ('' = any), replay key, replay ttl, events maxlen,
--       n dependents (index keys that must be empty), dependents..., n extra keys to delete, keys...
local function reg_delete(keys, args)
  local base, kind, id, expected = args[1], args[2], args[3], args[4]
  local previous = replay_get(args[5])
  if previous then return {'replay', previous} end
  local current = redis.call('HGET', keys[1], 'v')
  if not current then return redis.error_reply('NOT_FOUND ' .. kind .. ' ' .. id) end
  if expected ~= '' and current ~= expected then return redis.error_reply('ABORTED ' .. kind .. ' ' .. id) end
  local n_dep = tonumber(args[8])
  local why = {owner = 'still owns resources', member = 'is still a member of a network',
               parent = 'still has resources that are part of it'}
  for i = 1, n_dep do
    if redis.call('ZCARD', base .. args[8 + i]) > 0 then
      local index = string.match(args[8 + i], '^ix:(%w+):') or string.match(args[8 + i], '^(%w+):')
      return redis.error_reply('FAILED_PRECONDITION IN_USE ' .. kind .. ' ' .. id .. ' ' ..
                               (why[index] or 'is still referenced'))
    end
  end
  for _, old in ipairs(split_ix(redis.call('HGET', keys[1], 'ix'))) do
    redis.call('ZREM', base .. old, id)
  end
  local at = 9 + n_dep
  for i = 1, tonumber(args[at]) do redis.call('DEL', base .. args[at + i]) end
  redis.call('DEL', keys[1])
  redis.call('ZREM', base .. 'ids:' .. kind, id)
  redis.call('SADD', base .. 'gone:' .. kind, id)
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', args[7], '*',
             'kind', kind, 'id', id, 'op', 'deleted', 'v', current, 'd', '')
  replay_put(args[5], args[6], 'deleted')
  return {'deleted', current}
end

-- KEYS[1] an index zset. ARGV: base, kind, after id ('' = from the start), limit.
-- Returns the data of up to `limit` entities after `after`, in id order, then whether more follow.
local function reg_page(keys, args)
  local base, kind, after, limit = args[1], args[2], args[3], tonumber(args[4])
  local from = after == '' and '-' or '(' .. after
  local ids = redis.call('ZRANGEBYLEX', keys[1], from, '+', 'LIMIT', 0, limit + 1)
  local out = {}
  for i = 1, math.min(#ids, limit) do
    local data = redis.call('HGET', base .. kind .. ':' .. ids[i], 'd')
    if data then out[#out + 1] = data end
  end
  local next_after = ''
  if #ids > limit then next_after = ids[limit] end
  return {next_after, out}
end

-- The replay of an import, the one response the registry stores apart from its write.
-- ARGV: replay key ("<key>#<fingerprint>", see the prelude), then for reg_replay_put: ttl, response.
redis.register_function('reg_replay_get', function(_, args) return replay_get(args[1]) or false end)
redis.register_function('reg_replay_put', function(_, args)
  replay_put(args[1], args[2], args[3])
  return 1
end)
redis.register_function('reg_put', reg_put)
redis.register_function('reg_delete', reg_delete)
redis.register_function{function_name = 'reg_page', callback = reg_page, flags = {'no-writes'}}
