-- The programme: events and their registrations. Every change of an event's places is one call of
-- a function below, so concurrent registrations on any number of replicas never admit more than
-- the capacity and the waitlist keeps its order. All programme keys share the hash tag {pg}
-- (docs/DECISIONS.md "Programme state in one hash tag"):
--   <p> = <prefix>{pg}:
--   <p>e:<event>      hash    pb (the Event as protobuf, counts left out), st
--                             (SCHEDULED|CANCELLED), s, e (start, end ms), cap, open ('1'/'0'),
--                             org (organiser), v (version: the etag), taken (places admitted),
--                             waiting (registrations waiting), seq (arrivals so far)
--   <p>r:<event>      hash    registration id -> the registration as JSON (fields below)
--   <p>a:<event>      zset    every registration by arrival
--   <p>w:<event>      zset    waiting registrations by arrival
--   <p>d:<event>      hash    "org:<org>" or "mail:<org>:<e-mail>" -> the live registration it
--                             names (one per organisation, one per person an organisation named)
--   <p>ix:all         zset    every event by start (ms)
--   <p>ix:r:<res>     zset    a resource's events by start
--   <p>ix:n:<net>     zset    a network's events by start
--   <p>p:<hash>       set     "<event> <registration>" of every registration naming the person
--   <p>req:<org>:<id> string  replayed response of a mutating call
--   <p>events         stream  type (CREATED|UPDATED|CANCELLED), e (event id): every change of an
--                             event's record (webhook deliveries); MAXLEN ~ 100000
-- Registration fields: id, ev, org, name, mail, n (places), st (ADMITTED|WAITLISTED|CANCELLED),
-- att ('1' attended), rec ('1' attendance recorded), seq (arrival), cr, up (ms), dk (its entry in
-- d:<event>).

local function event_reply(e)
  return {e.pb, e.st, e.v, e.taken or '0', e.waiting or '0'}
end

local function load_registration(regs, id)
  local json = redis.call('HGET', regs, id)
  if not json then return nil end
  return cjson.decode(json)
end

local function save_registration(regs, r)
  redis.call('HSET', regs, r.id, cjson.encode(r))
end

-- Admits waiting registrations in order of arrival while the first of them fits; one that does
-- not fit keeps its place at the head (first come, first served, also for larger parties).
local function promote(k, e, now)
  local cap, taken = tonumber(e.cap), tonumber(e.taken or '0')
  local promoted = 0
  for _, id in ipairs(redis.call('ZRANGE', k.waiting, 0, -1)) do
    local r = load_registration(k.regs, id)
    if r and r.st == 'WAITLISTED' then
      if taken + tonumber(r.n) > cap then break end
      taken = taken + tonumber(r.n)
      r.st, r.up = 'ADMITTED', int_text(now)
      save_registration(k.regs, r)
      promoted = promoted + 1
    end
    redis.call('ZREM', k.waiting, id)
  end
  e.taken = int_text(taken)
  e.waiting = int_text(redis.call('ZCARD', k.waiting))
  redis.call('HSET', k.event, 'taken', e.taken, 'waiting', e.waiting)
  return promoted
end

-- KEYS: base (the prefix <p>: the network indexes are built from it), event, waiting, regs, all
--       (ix:all), resource (ix:r:<res>; none for a network's event), replay.
-- ARGV: id, pb, st, s, e, cap, open, org, create ('1': the event must not exist yet), networks
--       (space-separated: the network indexes a new event joins), expected (the etag the caller
--       read, '' = any), fingerprint, replay_ttl.
-- Creates or replaces an event's record; a capacity raised admits waiting registrations, one
-- lowered below the places already admitted is refused. Returns {pb, st, v, taken, waiting}.
local function pg_save(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return cjson.decode(previous) end
  local e = read_hash(k.event)
  if a.create == '1' then
    if e then return redis.error_reply('ALREADY_EXISTS event ' .. a.id) end
    e = {taken = '0', waiting = '0', seq = '0', v = '0'}
    redis.call('ZADD', k.all, a.s, a.id)
    if rawget(k, 'resource') then redis.call('ZADD', k.resource, a.s, a.id) end
    for net in string.gmatch(a.networks, '%S+') do
      redis.call('ZADD', k.base .. 'ix:n:' .. net, a.s, a.id)
    end
  else
    if not e then return redis.error_reply('NOT_FOUND event ' .. a.id) end
    if a.expected ~= '' and a.expected ~= e.v then
      return redis.error_reply('ABORTED event ' .. a.id)
    end
    if tonumber(a.cap) < tonumber(e.taken) then
      return redis.error_reply('FAILED_PRECONDITION CAPACITY_BELOW_REGISTERED ' ..
                               'the capacity cannot go below the ' .. e.taken ..
                               ' places already admitted')
    end
  end
  local change = a.create == '1' and 'CREATED' or
    ((a.st == 'CANCELLED' and e.st ~= 'CANCELLED') and 'CANCELLED' or 'UPDATED')
  e.pb, e.st, e.s, e.e, e.cap, e.open, e.org = a.pb, a.st, a.s, a.e, a.cap, a.open, a.org
  e.v = int_text(tonumber(e.v) + 1)
  redis.call('HSET', k.event, 'pb', e.pb, 'st', e.st, 's', e.s, 'e', e.e, 'cap', e.cap, 'open',
             e.open, 'org', e.org, 'v', e.v, 'taken', e.taken, 'waiting', e.waiting, 'seq', e.seq)
  if e.st == 'SCHEDULED' then promote(k, e, now_ms()) end
  redis.call('XADD', k.base .. 'events', 'MAXLEN', '~', 100000, '*', 'type', change, 'e', a.id)
  local out = event_reply(e)
  replay_put(k, a, cjson.encode(out))
  return out
end

-- KEYS: event, regs, arrivals, waiting, dedupe, events (the change stream), person (none for an
--       organisation without names), replay.
-- ARGV: id, org, name, mail, places, fingerprint, replay_ttl.
-- Admits the registration when its places are free and nobody waits, else puts it on the
-- waitlist. Returns the registration as JSON.
local function pg_register(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then
    -- A retry gets the registration as it is now, not as it was: the replay keeps only its id, so
    -- an erasure since leaves nothing of the person to read back (a replay from before held the
    -- whole registration; only its id is used).
    local id = previous:sub(1, 1) == '{' and cjson.decode(previous).id or previous
    local r = load_registration(k.regs, id)
    if not r then return redis.error_reply('NOT_FOUND registration ' .. id) end
    return cjson.encode(r)
  end
  local e = read_hash(k.event)
  if not e then return redis.error_reply('NOT_FOUND event ' .. a.ev) end
  local now = now_ms()
  if e.st ~= 'SCHEDULED' then
    return redis.error_reply('FAILED_PRECONDITION EVENT_CANCELLED the event is cancelled')
  end
  if e.open ~= '1' or now >= tonumber(e.s) then
    return redis.error_reply('FAILED_PRECONDITION REGISTRATION_CLOSED registration for this ' ..
                             'event is closed')
  end
  local places = tonumber(a.places)
  if places > tonumber(e.cap) then
    return redis.error_reply('FAILED_PRECONDITION CAPACITY_EXCEEDED the event has only ' ..
                             e.cap .. ' places')
  end
  -- One live registration per organisation, and per person within the registering organisation:
  -- keyed by another organisation's registrations, the refusal would tell anyone whether an
  -- address is registered (and let them take it first).
  local who = a.mail ~= '' and ('mail:' .. a.org .. ':' .. a.mail) or ('org:' .. a.org)
  local existing = redis.call('HGET', k.dedupe, who)
  if existing then
    return redis.error_reply('ALREADY_EXISTS registration ' .. existing)
  end
  local seq = redis.call('HINCRBY', k.event, 'seq', 1)
  local r = {id = a.id, ev = a.ev, org = a.org, name = a.name, mail = a.mail, n = a.places,
             att = '0', rec = '0', seq = int_text(seq), cr = int_text(now), up = int_text(now),
             dk = who}
  local taken = tonumber(e.taken)
  if redis.call('ZCARD', k.waiting) == 0 and taken + places <= tonumber(e.cap) then
    r.st = 'ADMITTED'
    redis.call('HSET', k.event, 'taken', int_text(taken + places))
  else
    r.st = 'WAITLISTED'
    redis.call('ZADD', k.waiting, seq, a.id)
    redis.call('HSET', k.event, 'waiting', int_text(redis.call('ZCARD', k.waiting)))
  end
  save_registration(k.regs, r)
  redis.call('ZADD', k.arrivals, seq, a.id)
  redis.call('HSET', k.dedupe, who, a.id)
  if rawget(k, 'person') then redis.call('SADD', k.person, a.ev .. ' ' .. a.id) end
  -- For timed webhooks (event.starts_tomorrow to the registering organisation); no event change.
  redis.call('XADD', k.events, 'MAXLEN', '~', 100000, '*', 'type', 'REGISTERED', 'e', a.ev,
             'o', a.org)
  replay_put(k, a, a.id)
  return cjson.encode(r)
end

-- KEYS: event, regs, waiting, dedupe, events (the change stream), replay.
-- ARGV: ev, id, caller (organisation), organiser ('1': the caller may act for the organiser),
--       fingerprint, replay_ttl.
-- Cancels a registration; places it held go to the first waiting. Returns it as JSON.
local function pg_unregister(keys, args)
  local k, a = named(keys, args)
  if replay_get(k, a) then  -- as pg_register's: the registration as it is now
    local r = load_registration(k.regs, a.id)
    if not r then return redis.error_reply('NOT_FOUND registration ' .. a.id) end
    return cjson.encode(r)
  end
  local e = read_hash(k.event)
  if not e then return redis.error_reply('NOT_FOUND event ' .. a.ev) end
  local r = load_registration(k.regs, a.id)
  if not r then return redis.error_reply('NOT_FOUND registration ' .. a.id) end
  if r.org ~= a.caller and a.organiser ~= '1' then
    return redis.error_reply('PERMISSION_DENIED the registration belongs to another organisation')
  end
  if r.st ~= 'CANCELLED' then
    local now = now_ms()
    local was = r.st
    r.st, r.up = 'CANCELLED', int_text(now)
    save_registration(k.regs, r)
    redis.call('HDEL', k.dedupe, r.dk)
    if was == 'ADMITTED' then
      e.taken = int_text(tonumber(e.taken) - tonumber(r.n))
      redis.call('HSET', k.event, 'taken', e.taken)
    else
      redis.call('ZREM', k.waiting, r.id)
    end
    if e.st == 'SCHEDULED' then promote(k, e, now) end
    redis.call('XADD', k.events, 'MAXLEN', '~', 100000, '*', 'type', 'UNREGISTERED', 'e', a.ev,
               'o', r.org)
  end
  replay_put(k, a, a.id)
  return cjson.encode(r)
end

-- KEYS: event, regs. ARGV: ev, id, attended ('1'/'0').
-- Records whether an admitted registration attended; only from the event's start.
local function pg_attend(keys, args)
  local k, a = named(keys, args)
  local e = read_hash(k.event)
  if not e then return redis.error_reply('NOT_FOUND event ' .. a.ev) end
  local r = load_registration(k.regs, a.id)
  if not r then return redis.error_reply('NOT_FOUND registration ' .. a.id) end
  local now = now_ms()
  if now < tonumber(e.s) then
    return redis.error_reply('FAILED_PRECONDITION TOO_EARLY attendance is recorded from the ' ..
                             'event\'s start')
  end
  if r.st ~= 'ADMITTED' then
    return redis.error_reply('FAILED_PRECONDITION NOT_ADMITTED only an admitted registration ' ..
                             'attends')
  end
  r.att, r.rec, r.up = a.attended, '1', int_text(now)
  save_registration(k.regs, r)
  return cjson.encode(r)
end

-- KEYS: base (the prefix <p>), person (p:<hash of the e-mail address>). ARGV: (none).
-- Erases a person's name and e-mail from every registration naming them; the registrations stay
-- (as places taken), anonymous. Returns how many were erased.
local function pg_erase(keys, args)
  local k = named(keys, args)
  local n = 0
  for _, member in ipairs(redis.call('SMEMBERS', k.person)) do
    local ev, id = string.match(member, '^(%S+) (%S+)$')
    if ev then
      local regs = k.base .. 'r:' .. ev
      local r = load_registration(regs, id)
      if r then
        -- The live registration's de-duplication entry must not keep the address either.
        if r.st ~= 'CANCELLED' then
          redis.call('HDEL', k.base .. 'd:' .. ev, r.dk)
          r.dk = 'erased:' .. id
          redis.call('HSET', k.base .. 'd:' .. ev, r.dk, id)
        end
        r.name, r.mail = '', ''
        save_registration(regs, r)
        n = n + 1
      end
    end
  end
  redis.call('DEL', k.person)
  return n
end

register('pg_save', pg_save)
register('pg_register', pg_register)
register('pg_unregister', pg_unregister)
register('pg_attend', pg_attend)
register('pg_erase', pg_erase)
