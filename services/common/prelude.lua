-- Shared helpers, prepended to every infrashare Redis function library at build time.
--
-- Idempotency: a mutating call carries a replay key (derived from the caller's organisation and
-- its request_id). The first call stores its response under that key; a retry gets it back and
-- changes nothing.
local function replay_get(replay_key)
  if replay_key == '' then return nil end
  return redis.call('GET', replay_key)
end

local function replay_put(replay_key, ttl, value)
  if replay_key ~= '' then redis.call('SET', replay_key, value, 'EX', ttl) end
end
