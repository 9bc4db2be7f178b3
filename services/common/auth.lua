-- Token records. Every key shares the {auth} hash tag.
--   <p>{auth}:tok:<hash>   string  TokenInfo (protobuf)
--   <p>{auth}:tokid:<id>   string  the hash, to revoke by id
--   <p>{auth}:tokens       zset    all token ids (lexicographic, score 0)
--   <p>{auth}:org:<org>    zset    token ids of one organisation
--   <p>{auth}:revoked:<hash>  string  a revoked token, told apart from an unknown one (90 d)
--   <p>{auth}:req:<...>    string  replay of a CreateToken response (short TTL: holds the secret)
-- The audit trail, one hash tag:
--   <p>{audit}:events       stream  every audited call: e = AuditEvent (protobuf)
--   <p>{audit}:org:<org>    stream  the same entries (same ids) of one organisation's callers
-- Rate limits, one hash tag per organisation:
--   <p>{rl:<org>}:t:<token id>:<group>  string  the token's GCRA arrival time (microseconds)
--   <p>{rl:<org>}:o:<group>             string  the organisation's

local REVOKED_TTL_S = 90 * 24 * 3600

-- KEYS: token (tok:<hash>), tokid (tokid:<id>), tokens, org (org:<org>), replay (none without a
--       request id; see the prelude).
-- ARGV: id, hash, info, response (the CreateToken response to replay), fingerprint, replay_ttl.
local function auth_create(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  redis.call('SET', k.token, a.info)
  redis.call('SET', k.tokid, a.hash)
  redis.call('ZADD', k.tokens, 0, a.id)
  redis.call('ZADD', k.org, 0, a.id)
  replay_put(k, a, a.response)
  return {'created', ''}
end

-- KEYS: base (<p>{auth}:, the token key, named by the hash tokid holds, is built from it), tokid,
--       tokens, org (the token's organisation's). ARGV: id.
local function auth_revoke(keys, args)
  local k, a = named(keys, args)
  local hash = redis.call('GET', k.tokid)
  if not hash then return redis.error_reply('NOT_FOUND token ' .. a.id) end
  redis.call('DEL', k.base .. 'tok:' .. hash, k.tokid)
  redis.call('SET', k.base .. 'revoked:' .. hash, '1', 'EX', REVOKED_TTL_S)
  redis.call('ZREM', k.tokens, a.id)
  redis.call('ZREM', k.org, a.id)
  return 1
end

-- KEYS: base (the keys of the organisation's tokens are built from it), tokens, org.
-- Revokes every token of the organisation; returns how many.
local function auth_revoke_org(keys, args)
  local k = named(keys, args)
  local ids = redis.call('ZRANGE', k.org, 0, -1)
  for _, id in ipairs(ids) do
    local hash = redis.call('GET', k.base .. 'tokid:' .. id)
    if hash then
      redis.call('DEL', k.base .. 'tok:' .. hash)
      redis.call('SET', k.base .. 'revoked:' .. hash, '1', 'EX', REVOKED_TTL_S)
    end
    redis.call('DEL', k.base .. 'tokid:' .. id)
    redis.call('ZREM', k.tokens, id)
  end
  redis.call('DEL', k.org)
  return #ids
end

register('auth_create', auth_create)
register('auth_revoke_org', auth_revoke_org)
register('auth_revoke', auth_revoke)

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

-- KEYS: token, org (the token's and the organisation's, one hash tag).
-- ARGV: token_interval, token_tolerance, org_interval, org_tolerance: per key, the interval
-- between calls and the tolerance (interval x burst), in microseconds; count: how many calls to
-- take at once (a replica's lease, see rate_limit.h).
-- Returns {0} when admitted, else {1, microseconds to wait, 'token' | 'organization'}.
local function rate_take(keys, args)
  local k, a = named(keys, args)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local count = tonumber(a.count)
  local token_tat, token_wait = gcra(k.token, now, tonumber(a.token_interval),
                                     tonumber(a.token_tolerance), count)
  local org_tat, org_wait = gcra(k.org, now, tonumber(a.org_interval), tonumber(a.org_tolerance),
                                 count)
  if token_tat and org_tat then
    redis.call('SET', k.token, int_text(token_tat),
               'PX', int_text(math.ceil((token_tat - now) / 1000) + 1))
    redis.call('SET', k.org, int_text(org_tat),
               'PX', int_text(math.ceil((org_tat - now) / 1000) + 1))
    return {0}
  end
  if token_wait >= org_wait then return {1, int_text(math.ceil(token_wait)), 'token'} end
  return {1, int_text(math.ceil(org_wait)), 'organization'}
end

register('rate_take', rate_take)

-- KEYS: platform, org (the platform's trail, the organisation's). ARGV: retention (ms), event.
-- The organisation's entry gets the platform entry's id: ids only grow, so it is always newer.
local function audit_append(keys, args)
  local k, a = named(keys, args)
  local oldest = int_text(math.max(0, now_ms() - tonumber(a.retention)))
  local id = redis.call('XADD', k.platform, 'MINID', '~', oldest, '*', 'e', a.event)
  redis.call('XADD', k.org, 'MINID', '~', oldest, id, 'e', a.event)
  return id
end

register('audit_append', audit_append)

