-- Registry records. Every key shares the {reg} hash tag, so a write, its index entries, its replay
-- record and its change event are one atomic step (docs/redis-keys.md, docs/DECISIONS.md).
--   <p>{reg}:<kind>:<id>   hash    d = protobuf, v = version (the etag), ix = index keys it is in
--   <p>{reg}:ids:<kind>    zset    all ids of a kind (score 0, lexicographic pages)
--   <p>{reg}:ix:<name>     zset    secondary indexes, e.g. ix:owner:<org>, ix:net:<network>
--   <p>{reg}:events        stream  one entry per change: kind, id, op, v, d
--   <p>{reg}:gone:<kind>   set     ids of deleted entities: never created again, so a new
--                                  object can inherit nothing (bookings, tokens) of an old one
--   <p>{reg}:req:<org>:<request id>  string  replayed response of a mutating call

-- A kind as errors name it (the word NOT_FOUND and ALREADY_EXISTS carry in `kind`).
local kind_words = {res = 'resource', org = 'organization', net = 'network'}
local function kind_word(kind) return kind_words[kind] or kind end

local function split_ix(text)
  local out = {}
  if text then
    for key in string.gmatch(text, '%S+') do out[#out + 1] = key end
  end
  return out
end

-- KEYS: base (<p>{reg}:, the record's index, reference and extra keys, named relative to it, are
--       built from it), record (the entity key), replay (none without a request id; see the
--       prelude).
-- ARGV: kind, id, expected (version, '' = must not exist), version (the new one), data,
--       fingerprint, replay_ttl, maxlen, refs (JSON array of "<kind>:<id>" that must exist),
--       indexes (JSON array of the index keys the record is in, "ix:<name>").
local function reg_put(keys, args)
  local k, a = named(keys, args)
  local base, kind, id, expected = k.base, a.kind, a.id, a.expected
  local version, data = a.version, a.data
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  local current = redis.call('HGET', k.record, 'v')
  if expected == '' and current then
    return redis.error_reply('ALREADY_EXISTS ' .. kind_word(kind) .. ' ' .. id)
  end
  if expected == '' and redis.call('SISMEMBER', base .. 'gone:' .. kind, id) == 1 then
    return redis.error_reply('FAILED_PRECONDITION ID_RETIRED ' .. kind_word(kind) .. ' ' .. id ..
                             ' was deleted; a deleted id is never used again')
  end
  if expected ~= '' and not current then
    return redis.error_reply('NOT_FOUND ' .. kind_word(kind) .. ' ' .. id)
  end
  if expected ~= '' and current ~= expected then
    return redis.error_reply('ABORTED ' .. kind_word(kind) .. ' ' .. id)
  end
  for _, ref in ipairs(cjson.decode(a.refs)) do
    if redis.call('EXISTS', base .. ref) == 0 then
      local ref_kind, ref_id = string.match(ref, '^(%w+):(.*)$')
      return redis.error_reply('NOT_FOUND ' .. kind_word(ref_kind) .. ' ' .. ref_id)
    end
  end
  local new_ix = cjson.decode(a.indexes)
  for _, old in ipairs(split_ix(redis.call('HGET', k.record, 'ix'))) do
    redis.call('ZREM', base .. old, id)
  end
  for _, ix in ipairs(new_ix) do redis.call('ZADD', base .. ix, 0, id) end
  redis.call('HSET', k.record, 'd', data, 'v', version, 'ix', table.concat(new_ix, ' '))
  redis.call('ZADD', base .. 'ids:' .. kind, 0, id)
  local op = current and 'updated' or 'created'
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', a.maxlen, '*',
             'kind', kind, 'id', id, 'op', op, 'v', version, 'd', data)
  replay_put(k, a, data)
  return {op, version}
end

-- KEYS: base, record, replay (as for reg_put).
-- ARGV: kind, id, expected (version, '' = any), fingerprint, replay_ttl, maxlen, dependents (JSON
--       array of index keys that must be empty), also_delete (JSON array of keys to delete, both
--       relative to base).
local function reg_delete(keys, args)
  local k, a = named(keys, args)
  local base, kind, id, expected = k.base, a.kind, a.id, a.expected
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  local current = redis.call('HGET', k.record, 'v')
  if not current then return redis.error_reply('NOT_FOUND ' .. kind_word(kind) .. ' ' .. id) end
  if expected ~= '' and current ~= expected then
    return redis.error_reply('ABORTED ' .. kind_word(kind) .. ' ' .. id)
  end
  local why = {owner = 'still owns resources', member = 'is still a member of a network',
               parent = 'still has resources that are part of it'}
  for _, dependent in ipairs(cjson.decode(a.dependents)) do
    if redis.call('ZCARD', base .. dependent) > 0 then
      local index = string.match(dependent, '^ix:(%w+):') or string.match(dependent, '^(%w+):')
      return redis.error_reply('FAILED_PRECONDITION IN_USE ' .. kind_word(kind) .. ' ' .. id ..
                               ' ' .. (why[index] or 'is still referenced'))
    end
  end
  for _, old in ipairs(split_ix(redis.call('HGET', k.record, 'ix'))) do
    redis.call('ZREM', base .. old, id)
  end
  for _, extra in ipairs(cjson.decode(a.also_delete)) do redis.call('DEL', base .. extra) end
  redis.call('DEL', k.record)
  redis.call('ZREM', base .. 'ids:' .. kind, id)
  redis.call('SADD', base .. 'gone:' .. kind, id)
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', a.maxlen, '*',
             'kind', kind, 'id', id, 'op', 'deleted', 'v', current, 'd', '')
  replay_put(k, a, 'deleted')
  return {'deleted', current}
end

-- KEYS: base, index (an index zset). ARGV: kind, after (id, '' = from the start), limit.
-- Returns the data of up to `limit` entities after `after`, in id order, then whether more follow.
local function reg_page(keys, args)
  local k, a = named(keys, args)
  local base, kind, after, limit = k.base, a.kind, a.after, tonumber(a.limit)
  local from = after == '' and '-' or '(' .. after
  local ids = redis.call('ZRANGEBYLEX', k.index, from, '+', 'LIMIT', 0, limit + 1)
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
-- KEYS: replay. ARGV: fingerprint, replay_ttl, and for reg_replay_put: response.
register('reg_replay_get', function(keys, args)
  local k, a = named(keys, args)
  return replay_get(k, a) or false
end)
register('reg_replay_put', function(keys, args)
  local k, a = named(keys, args)
  replay_put(k, a, a.response)
  return 1
end)
register('reg_put', reg_put)
register('reg_delete', reg_delete)
register('reg_page', reg_page, {'no-writes'})
