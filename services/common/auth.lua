-- Token records. Every key shares the {auth} hash tag.
--   <p>{auth}:tok:<hash>   string  TokenInfo (protobuf)
--   <p>{auth}:tokid:<id>   string  the hash, to revoke by id
--   <p>{auth}:tokens       zset    all token ids (lexicographic, score 0)
--   <p>{auth}:org:<org>    zset    token ids of one organisation
--   <p>{auth}:req:<...>    string  replay of a CreateToken response (short TTL: it holds the secret)

-- KEYS[1] token key. ARGV: base "<p>{auth}:", id, hash, info, org, replay key, replay ttl, response
local function auth_create(keys, args)
  local base = args[1]
  local previous = replay_get(args[6])
  if previous then return {'replay', previous} end
  redis.call('SET', keys[1], args[4])
  redis.call('SET', base .. 'tokid:' .. args[2], args[3])
  redis.call('ZADD', base .. 'tokens', 0, args[2])
  redis.call('ZADD', base .. 'org:' .. args[5], 0, args[2])
  replay_put(args[6], args[7], args[8])
  return {'created', ''}
end

-- KEYS[1] "<p>{auth}:tokid:<id>". ARGV: base, id, org
local function auth_revoke(keys, args)
  local base = args[1]
  local hash = redis.call('GET', keys[1])
  if not hash then return redis.error_reply('NOT_FOUND token ' .. args[2]) end
  redis.call('DEL', base .. 'tok:' .. hash, keys[1])
  redis.call('ZREM', base .. 'tokens', args[2])
  redis.call('ZREM', base .. 'org:' .. args[3], args[2])
  return 1
end

-- KEYS[1] "<p>{auth}:org:<org>". ARGV: base. Revokes every token of the organisation; returns how many.
local function auth_revoke_org(keys, args)
  local base = args[1]
  local ids = redis.call('ZRANGE', keys[1], 0, -1)
  for _, id in ipairs(ids) do
    local hash = redis.call('GET', base .. 'tokid:' .. id)
    if hash then redis.call('DEL', base .. 'tok:' .. hash) end
    redis.call('DEL', base .. 'tokid:' .. id)
    redis.call('ZREM', base .. 'tokens', id)
  end
  redis.call('DEL', keys[1])
  return #ids
end

redis.register_function('auth_create', auth_create)
redis.register_function('auth_revoke_org', auth_revoke_org)
redis.register_function('auth_revoke', auth_revoke)
