-- Token records. Every key shares the {auth} hash tag.
--   <p>{auth}:tok:<hash>   string  TokenInfo (protobuf)
--   <p>{auth}:tokid:<id>   string  the hash, to revoke by id
--   <p>{auth}:tokens       zset    all token ids (lexicographic, score 0)
--   <p>{auth}:org:<org>    zset    token ids of one organisation
--   <p>{auth}:req:<...>    string  replay of a CreateToken response (short TTL: it holds the secret)
-- The audit trail, one hash tag:
--   <p>{audit}:events       stream  every audited call: e = AuditEvent (protobuf)
--   <p>{audit}:org:<org>    stream  the same entries (same ids) of one organisation's callers
-- Rate limits, one hash tag per organisation:
--   <p>{rl:<org>}:t:<token id>:<group>  string  the token's GCRA arrival time (microseconds)
--   <p>{rl:<org>}:o:<group>             string  the organisation's

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

-- Rate limits: GCRA (the generic cell rate algorithm), one key per caller holding its theoretical
-- arrival time in microseconds of Redis' clock, so every replica shares the same allowance.
-- A call is let through when both the token's and the organisation's allowance have room, and
-- then counts against both; a refused call counts against neither.
local function gcra(key, now, interval, tolerance, count)
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
  local next_tat = tat + interval * count
  local wait = next_tat - tolerance - now
  if wait > 0 then return nil, wait end
  return next_tat, 0
end

-- KEYS: token key, organisation key (one hash tag). ARGV: per key, the interval between calls and
-- the tolerance (interval x burst), in microseconds; then how many calls to take at once (a
-- replica's lease, see rate_limit.h).
-- Returns {0} when admitted, else {1, microseconds to wait, 'token' | 'organization'}.
local function rate_take(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local count = tonumber(args[5] or '1')
  local token_tat, token_wait = gcra(keys[1], now, tonumber(args[1]), tonumber(args[2]), count)
  local org_tat, org_wait = gcra(keys[2], now, tonumber(args[3]), tonumber(args[4]), count)
  if token_tat and org_tat then
    redis.call('SET', keys[1], int_text(token_tat), 'PX', int_text(math.ceil((token_tat - now) / 1000) + 1))
    redis.call('SET', keys[2], int_text(org_tat), 'PX', int_text(math.ceil((org_tat - now) / 1000) + 1))
    return {0}
  end
  if token_wait >= org_wait then return {1, int_text(math.ceil(token_wait)), 'token'} end
  return {1, int_text(math.ceil(org_wait)), 'organization'}
end

redis.register_function('rate_take', rate_take)

-- KEYS: the platform's trail, the organisation's. ARGV: retention ms, the event.
-- The organisation's entry gets the platform entry's id: ids only grow, so it is always newer.
local function audit_append(keys, args)
  local oldest = int_text(math.max(0, now_ms() - tonumber(args[1])))
  local id = redis.call('XADD', keys[1], 'MINID', '~', oldest, '*', 'e', args[2])
  redis.call('XADD', keys[2], 'MINID', '~', oldest, id, 'e', args[2])
  return id
end

redis.register_function('audit_append', audit_append)

