-- Shared helpers, prepended to every infrashare Redis function library at build time (a library
-- cannot call into another).
--
-- Idempotency: a mutating call carries a replay key, "<key>#<fingerprint>": the key is derived
-- from the caller's organisation and its request_id, the fingerprint from the rest of the request
-- (IdempotencyKey in services/common/ids.h). The first call stores its response under the key,
-- marked with the fingerprint; a retry of the same request gets it back and changes nothing, and
-- the same request_id with different parameters is refused (as AIP-155 and Stripe do).
local function replay_split(replay_key)
  local key, fingerprint = string.match(replay_key, '^(.*)#(%x+)$')
  if key then return key, fingerprint end
  return replay_key, ''
end

local function replay_get(replay_key)
  if replay_key == '' then return nil end
  local key, fingerprint = replay_split(replay_key)
  local stored = redis.call('GET', key)
  if not stored then return nil end
  local marked, value = string.match(stored, '^fp:(%x*)\n(.*)$')
  if not marked then return stored end  -- stored before fingerprints: taken as the same request
  if marked ~= fingerprint then
    error({err = 'INVALID_ARGUMENT request_id was already used for a different request; '
      .. 'a retry must repeat the request exactly, a new request needs a new request_id'})
  end
  return value
end

local function replay_put(replay_key, ttl, value)
  if replay_key == '' then return end
  local key, fingerprint = replay_split(replay_key)
  redis.call('SET', key, 'fp:' .. fingerprint .. '\n' .. value, 'EX', ttl)
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
