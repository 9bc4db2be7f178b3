-- Shared helpers, prepended to every infrashare Redis function library at build time (a library
-- cannot call into another).
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

-- Redis' own clock (TIME) in milliseconds: the one clock every replica shares.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- An integer (times in ms, counters) as the text C++ reads back: tostring() would write numbers
-- of 15 digits or more in exponent form ("1.3e+14").
local function int_text(n)
  return string.format('%d', n)
end

-- A hash as a Lua table of its fields, nil when the key does not exist.
local function read_hash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end
