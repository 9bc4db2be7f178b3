-- Calendar feeds (services/scheduler/calendar_feeds.h): secret addresses that serve an
-- organisation's or a resource's bookings to calendar programs. Every key shares the hash tag
-- {cal}:
--   <c> = <prefix>{cal}:
--   <c>f:<hash>      hash    id, org (the organisation that holds the feed), d (the CalendarFeed,
--                            protobuf bytes, without secret or address); <hash> is the secret's
--   <c>id:<id>       string  the hash, to revoke by id
--   <c>org:<org>     zset    the organisation's feed ids, by creation time (ms)
--   <c>req:<...>     string  replay of a call (CreateCalendarFeed's holds the secret, hence short)

-- KEYS: feed (<c>f:<hash>), id (<c>id:<id>), org (<c>org:<holder>), replay (none without a
--       request id; see the prelude).
-- ARGV: id, org, hash, record (the CalendarFeed as stored), response (the CreateCalendarFeed
--       answer to replay), created (ms), max (feeds an organisation may hold), fingerprint,
--       replay_ttl.
-- Returns {'created', ''}, or {'replay', <the first call's response>}.
local function cal_create(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  if redis.call('ZCARD', k.org) >= tonumber(a.max) then
    return redis.error_reply('FAILED_PRECONDITION TOO_MANY_FEEDS the organisation holds ' .. a.max
      .. ' calendar feeds: revoke one first')
  end
  redis.call('HSET', k.feed, 'id', a.id, 'org', a.org, 'd', a.record)
  redis.call('SET', k.id, a.hash)
  redis.call('ZADD', k.org, a.created, a.id)
  replay_put(k, a, a.response)
  return {'created', ''}
end

-- KEYS: base (<c>: the feed's key is built from it and the hash id:<id> holds), id (<c>id:<id>),
--       org (<c>org:<holder>), replay. ARGV: id, fingerprint, replay_ttl.
-- Deletes the feed; returns its record (what a retry gets too). NOT_FOUND when there is none.
local function cal_revoke(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return previous end
  local hash = redis.call('GET', k.id)
  if not hash then return redis.error_reply('NOT_FOUND calendar_feed ' .. a.id) end
  local feed = k.base .. 'f:' .. hash
  local record = redis.call('HGET', feed, 'd') or ''
  redis.call('DEL', feed, k.id)
  redis.call('ZREM', k.org, a.id)
  replay_put(k, a, record)
  return record
end

-- KEYS: base, id (<c>id:<id>). Returns {org, record} of the feed, or an empty list.
local function cal_get(keys, args)
  local k = named(keys, args)
  local hash = redis.call('GET', k.id)
  if not hash then return {} end
  local h = redis.call('HMGET', k.base .. 'f:' .. hash, 'org', 'd')
  if not h[1] then return {} end
  return h
end

-- KEYS: base, org (<c>org:<org>). Returns the records of the organisation's feeds, oldest first.
local function cal_list(keys, args)
  local k = named(keys, args)
  local out = {}
  for _, id in ipairs(redis.call('ZRANGE', k.org, 0, -1)) do
    local hash = redis.call('GET', k.base .. 'id:' .. id)
    local record = hash and redis.call('HGET', k.base .. 'f:' .. hash, 'd')
    if record then out[#out + 1] = record end
  end
  return out
end

register('cal_create', cal_create)
register('cal_revoke', cal_revoke)
register('cal_get', cal_get, {'no-writes'})
register('cal_list', cal_list, {'no-writes'})
