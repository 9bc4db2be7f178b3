-- Shared helpers, prepended to every infrashare Redis function library at build time (a library
-- cannot call into another).
--
-- Idempotency: a mutating call carries a replay key (in KEYS, named "replay") and a fingerprint
-- (the argument "fingerprint"): the key is derived from the caller's organisation and its
-- request_id, the fingerprint from the rest of the request (IdempotencyKey in
-- services/common/ids.h; RedisFunctionCall::Replay splits them). The first call stores its
-- response under the key, marked with the fingerprint; a retry of the same request gets it back
-- and changes nothing, and the same request_id with different parameters is refused (as AIP-155
-- and Stripe do). A call without a request_id passes no replay key. `k` and `a` are named()'s.
local function replay_get(k, a)
  local key = rawget(k, 'replay')
  if not key then return nil end
  local stored = redis.call('GET', key)
  if not stored then return nil end
  local marked, value = string.match(stored, '^fp:(%x*)\n(.*)$')
  if not marked then return stored end  -- stored before fingerprints: taken as the same request
  if marked ~= a.fingerprint then
    error({err = 'INVALID_ARGUMENT request_id was already used for a different request; '
      .. 'a retry must repeat the request exactly, a new request needs a new request_id'})
  end
  return value
end

local function replay_put(k, a, value)
  local key = rawget(k, 'replay')
  if not key then return end
  redis.call('SET', key, 'fp:' .. a.fingerprint .. '\n' .. value, 'EX', a.replay_ttl)
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

-- Whether `a` sorts at or before `b` byte by byte, as a sorted set orders the members of one
-- score. Lua's `<=` on strings is strcoll, and Redis takes LC_COLLATE from its environment: in a
-- locale such as nl_NL.UTF-8, '-', '_' and '.' in ids weigh nothing at first, so `<=` would
-- disagree with the set's order and a page could skip or repeat an entry.
local function bytes_le(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a <= #b
end

-- A hash as a Lua table of its fields, nil when the key does not exist.
local function read_hash(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local h = {}
  for i = 1, #flat, 2 do h[flat[i]] = flat[i + 1] end
  return h
end

-- Named arguments (services/common/redis_function.h): ARGV is name/value pairs whose first pair,
-- "keys", names the KEYS in order. Returns the keys and the arguments as tables by name; reading
-- a name the call did not pass is an error, so a caller and a function that disagree fail loudly.
-- (The metatables are made once: a booking is a few microseconds of Lua, and every one counts.)
local function missing(kind)
  return {__index = function(_, name)
    error({err = 'INTERNAL ' .. kind .. ' ' .. tostring(name) .. ' missing from the function call'})
  end}
end
local MISSING_KEY, MISSING_ARGUMENT = missing('key'), missing('argument')

local function named(keys, args)
  if args[1] ~= 'keys' or #args % 2 ~= 0 then
    error({err = 'INTERNAL the function takes named arguments (name/value pairs, "keys" first); '
      .. 'the caller uses another calling convention'})
  end
  local k, n = {}, 0
  for name in string.gmatch(args[2], '%S+') do
    n = n + 1
    k[name] = keys[n]
  end
  if n ~= #keys then
    error({err = 'INTERNAL the call names ' .. n .. ' of its ' .. #keys .. ' keys'})
  end
  local a = {}
  for i = 3, #args, 2 do a[args[i]] = args[i + 1] end
  return setmetatable(k, MISSING_KEY), setmetatable(a, MISSING_ARGUMENT)
end

-- Registers a function under its name with the calling convention's version (redis_function.h),
-- so replicas of two versions each call their own during a rolling upgrade.
local function register(name, callback, flags)
  redis.register_function{function_name = name .. '_v2', callback = callback, flags = flags}
end
