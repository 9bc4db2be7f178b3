-- Bookings. Every decision about a resource's bookings is one call of a function below, so no
-- number of concurrent clients or server replicas can double-book. A resource's keys live in its
-- shard's hash tag {bk:<n>} together with the shard's event stream, timers and organisation
-- indexes, so a decision and everything it records are one atomic step (docs/redis-keys.md,
-- docs/DECISIONS.md "Bookings in shard hash tags").
--   <b> = <prefix>{bk:<n>}:
--   <b>b:<booking>        hash    the booking (fields below)
--   <b>r:<res>:m          hash    seq (version counter), span (longest blocked span, ms)
--   <b>r:<res>:act        zset    bookings that block the resource, by blocked start (ms)
--   <b>r:<res>:all        zset    every booking of the resource, by start (ms)
--   <b>o:<org>            zset    every booking of an organisation in this shard, by start (ms)
--   <b>tm                 zset    booking -> when its next time-based transition is due (ms)
--   <b>events             stream  one entry per transition: type, d (the booking as JSON)
--   <b>req:<org>:<id>     string  replayed response of a mutating call
--   <b>bc:<id>            string  the booker's e-mail address for a booking or waitlist entry (a
--                                 promoted entry's booking has its id), until the retention
--   <b>bp:<person>        set     ids whose bc: is a person's address (person: the address's
--                                 BLAKE2b hash), for export and erasure
-- Booking fields: id, res, org, st (state), s, e (start, end ms), bs, be (blocked start/end ms,
-- buffers included), q (quantity), hx (hold expiry ms), t (title), n (notes), rs (reason),
-- cr, up (created, updated ms), ap ('1' approval required), ns (no-show grace ms, 0 = off),
-- sr (series id of a recurring booking), hf (the programme event it holds the resource for), ct
-- ('1': a booker's address is kept in bc:<id>, so the e-mail fan-out looks there), v.
-- Every timestamp is Redis' own clock (TIME), the one clock all replicas share.

local function load(base, id)
  local flat = redis.call('HGETALL', base .. 'b:' .. id)
  if #flat == 0 then return nil end
  local b = {}
  for i = 1, #flat, 2 do b[flat[i]] = flat[i + 1] end
  return b
end

local function save(base, b)
  local flat = {}
  for k, v in pairs(b) do
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
  redis.call('HSET', base .. 'b:' .. b.id, unpack(flat))
end

-- States that hold the resource. Completed bookings keep blocking their (past) slot, which
-- matters for their turnaround buffer after the end.
local BLOCKING = {HELD = true, PENDING_APPROVAL = true, CONFIRMED = true, CHECKED_IN = true,
                  COMPLETED = true}
-- The blocking states a booking that a rotation plan replaces is cancelled from.
local REPLACEABLE = {HELD = true, PENDING_APPROVAL = true, CONFIRMED = true}

-- Records a change: bumps the resource's version (the booking's etag) and appends the event.
-- Returns the booking as JSON.
local function emit(base, maxlen, b, type)
  b.v = tostring(redis.call('HINCRBY', base .. 'r:' .. b.res .. ':m', 'seq', 1))
  save(base, b)
  local json = cjson.encode(b)
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', maxlen, '*', 'type', type, 'd', json)
  return json
end

-- When the booking's next time-based transition is due, nil when none.
local function due_at(b)
  local s, e = tonumber(b.s), tonumber(b.e)
  if b.st == 'HELD' then return tonumber(b.hx) end
  if b.st == 'PENDING_APPROVAL' then return s end
  if b.st == 'CONFIRMED' then
    local grace = tonumber(b.ns)
    if grace > 0 then return math.min(s + grace, e) end
    return e
  end
  if b.st == 'CHECKED_IN' then return e end
  return nil
end

local function schedule(base, b)
  local due = due_at(b)
  if due then
    redis.call('ZADD', base .. 'tm', due, b.id)
  else
    redis.call('ZREM', base .. 'tm', b.id)
  end
end

-- The most seats or units in use at any moment of [from, to) by `used` ({bs, be, q} triples).
local function peak_usage(used, from, to)
  local points = {}
  for _, u in ipairs(used) do
    points[#points + 1] = {math.max(u[1], from), u[3]}
    points[#points + 1] = {math.min(u[2], to), -u[3]}
  end
  table.sort(points, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    return a[2] < b[2]  -- ends before starts at the same instant
  end)
  local level, peak = 0, 0
  for _, p in ipairs(points) do
    level = level + p[2]
    if level > peak then peak = level end
  end
  return peak
end

-- What blocks `res` within [from, to) as {bs, be, q}, lapsed holds left out, changing nothing.
local function live_usage(base, res, from, to, now, skip)
  local span = tonumber(redis.call('HGET', base .. 'r:' .. res .. ':m', 'span') or '0')
  local ids = redis.call('ZRANGEBYSCORE', base .. 'r:' .. res .. ':act', from - span, '(' .. to)
  local used = {}
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', base .. 'b:' .. id, 'st', 'bs', 'be', 'q', 'hx')
    if f[1] and BLOCKING[f[1]] and not (f[1] == 'HELD' and tonumber(f[5]) <= now) and
       not (skip and skip[id]) then
      local bs, be = tonumber(f[2]), tonumber(f[3])
      if bs < to and be > from then used[#used + 1] = {bs, be, tonumber(f[4]), id} end
    end
  end
  return used
end

-- Quotas and the SME share count unit-minutes (minutes x quantity) in two hashes per resource:
--   <b>r:<res>:quota   "<org>|<period>" -> unit-minutes booked by that organisation in that period
--   <b>r:<res>:nonsme  "<iso week>"     -> unit-minutes booked by non-SME partners that week
-- A booking remembers its keys (qk, sk) and unit-minutes (qm) to give them back when released.
-- `a` = {qk, ql (quota limit), sk, sl (non-SME limit, -1 = no check now), m}; `pending` holds
-- what earlier occurrences of the same call already took. Returns nil when allowed.
local function allowance_refusal(base, res, a, pending)
  if a.qk ~= '' then
    local used = tonumber(redis.call('HGET', base .. 'r:' .. res .. ':quota', a.qk) or '0') +
                 (pending[a.qk] or 0)
    if used + a.m > a.ql then
      return {err = 'QUOTA_EXCEEDED',
              msg = 'this booking would exceed your organisation\'s quota of ' ..
              math.floor(a.ql / 60) .. ' unit-hours on this resource for the period (' ..
              math.floor(used / 60) .. ' booked)'}
    end
  end
  if a.sk ~= '' and a.sl >= 0 then
    local used = tonumber(redis.call('HGET', base .. 'r:' .. res .. ':nonsme', a.sk) or '0') +
                 (pending['sme|' .. a.sk] or 0)
    if used + a.m > a.sl then
      return {err = 'SME_RESERVED',
              msg = 'the rest of this week is reserved for SME partners until ' ..
              'closer to the date'}
    end
  end
  return nil
end

local function take_allowance(a, pending)
  if a.qk ~= '' then pending[a.qk] = (pending[a.qk] or 0) + a.m end
  if a.sk ~= '' then pending['sme|' .. a.sk] = (pending['sme|' .. a.sk] or 0) + a.m end
end

local function count_allowance(base, b, sign, quota_too)
  local m = tonumber(b.qm or '0')
  if m == 0 then return end
  if quota_too and (b.qk or '') ~= '' then
    redis.call('HINCRBY', base .. 'r:' .. b.res .. ':quota', b.qk, sign * m)
  end
  if (b.sk or '') ~= '' then
    redis.call('HINCRBY', base .. 'r:' .. b.res .. ':nonsme', b.sk, sign * m)
  end
end

-- Records a new booking `b` (all fields set) in the resource's indexes, timers and log.
local function insert_booking(base, maxlen, b, type)
  local meta = base .. 'r:' .. b.res .. ':m'
  redis.call('ZADD', base .. 'r:' .. b.res .. ':act', b.bs, b.id)
  redis.call('ZADD', base .. 'r:' .. b.res .. ':all', b.s, b.id)
  redis.call('ZADD', base .. 'o:' .. b.org, b.s, b.id)
  local length = tonumber(b.be) - tonumber(b.bs)
  if length > tonumber(redis.call('HGET', meta, 'span') or '0') then
    redis.call('HSET', meta, 'span', int_text(length))
  end
  count_allowance(base, b, 1, true)
  schedule(base, b)
  return emit(base, maxlen, b, type)
end

-- Waitlist entries: <b>w:<id> hash (id, res, org, s, e, bs, be, q, cap (the resource's capacity),
-- ap, ns, ttl (hold ttl ms), t, st (WAITING|PROMOTED|LEFT|EXPIRED), bk (the booking), cr, and
-- the quota and SME-share allowance qk, ql, sk, sl, qm), and
-- <b>r:<res>:wl, a zset of waiting entries in the order they joined.
local function load_entry(base, id)
  local flat = redis.call('HGETALL', base .. 'w:' .. id)
  if #flat == 0 then return nil end
  local w = {}
  for i = 1, #flat, 2 do w[flat[i]] = flat[i + 1] end
  return w
end

-- The waiting entry `w` (id `id`, on `list`) whose slot has begun: it expires, as the proto
-- promises, and leaves the list. True when it did.
local function expire_if_begun(base, list, id, w, now)
  if w.st ~= 'WAITING' or tonumber(w.s) > now then return false end
  w.st = 'EXPIRED'
  redis.call('HSET', base .. 'w:' .. id, 'st', 'EXPIRED')
  redis.call('ZREM', list, id)
  return true
end

-- A slot of `res` freed up: every waiting entry that now fits, first come first served, gets a
-- hold (id = the entry's id) and an event; entries whose start has passed expire.
local function promote(base, maxlen, res, now)
  local list = base .. 'r:' .. res .. ':wl'
  for _, id in ipairs(redis.call('ZRANGE', list, 0, -1)) do
    local w = load_entry(base, id)
    if not w or w.st ~= 'WAITING' then
      redis.call('ZREM', list, id)
    elseif not expire_if_begun(base, list, id, w, now) then
      local bs, be, q = tonumber(w.bs), tonumber(w.be), tonumber(w.q)
      local a = {qk = w.qk, ql = tonumber(w.ql), sk = w.sk, sl = tonumber(w.sl), m = tonumber(w.qm)}
      if peak_usage(live_usage(base, res, bs, be, now), bs, be) + q <= tonumber(w.cap) and
         not allowance_refusal(base, res, a, {}) then
        insert_booking(base, maxlen, {id = id, res = res, org = w.org, s = w.s, e = w.e,
                                      bs = w.bs, be = w.be, q = w.q, t = w.t, n = '', rs = '',
                                      cr = tostring(now), up = tostring(now), ap = w.ap,
                                      ns = w.ns, sr = '', st = 'HELD',
                                      hx = int_text(now + tonumber(w.ttl)), qk = w.qk, sk = w.sk,
                                      qm = w.qm, ct = w.ct}, 'PROMOTED')
        redis.call('HSET', base .. 'w:' .. id, 'st', 'PROMOTED', 'bk', id)
        redis.call('ZREM', list, id)
      end
    end
  end
end

-- Moves a booking to a state that frees its slot.
-- `by_booker`: the booker itself cancels (not the owner, an admin or a replacing call).
local function release(base, maxlen, b, state, reason, now, by_booker)
  redis.call('ZREM', base .. 'r:' .. b.res .. ':act', b.id)
  -- A no-show, and a confirmed booking its booker cancels once under way, keep counting against
  -- its organisation's quota (else booking, using and cancelling would use time for free); the
  -- slot itself is free again. An owner who cancels (the equipment broke) charges nobody.
  local used = state == 'NO_SHOW' or
               (state == 'CANCELLED' and by_booker and b.st == 'CONFIRMED' and
                now >= tonumber(b.s))
  count_allowance(base, b, -1, not used)
  b.st, b.rs, b.hx, b.up = state, reason, '', tostring(now)
  schedule(base, b)
  emit(base, maxlen, b, 'STATE_CHANGED')
  promote(base, maxlen, b.res, now)
end

local function change(base, maxlen, b, state, now)
  b.st, b.up = state, tostring(now)
  schedule(base, b)
  emit(base, maxlen, b, 'STATE_CHANGED')
end

-- Applies the transitions that time has made due: expired holds and requests, no-shows,
-- completions. Returns true when the booking changed.
local function advance(base, maxlen, b, now)
  local due = due_at(b)
  if not due or due > now then return false end
  if b.st == 'HELD' then
    release(base, maxlen, b, 'EXPIRED', 'the hold was not submitted before it expired', now)
  elseif b.st == 'PENDING_APPROVAL' then
    release(base, maxlen, b, 'EXPIRED', 'the owner did not approve the request before its start',
            now)
  elseif b.st == 'CONFIRMED' and tonumber(b.ns) > 0 then
    release(base, maxlen, b, 'NO_SHOW', 'not checked in within the grace period after the start',
            now)
  else
    change(base, maxlen, b, 'COMPLETED', now)
  end
  return true
end

local function fail(code, message)
  return redis.error_reply(code .. ' ' .. message)
end

-- Keeps the booker's address for e-mails about `id` (a booking or a waiting entry) apart from it:
-- no event, answer or webhook carries it. Until `keep_until` (ms), indexed by the address's hash.
local function keep_contact(base, id, contact, person, keep_until, now)
  if (contact or '') == '' or keep_until <= now then return false end
  redis.call('SET', base .. 'bc:' .. id, contact, 'PXAT', keep_until)
  local index = base .. 'bp:' .. person
  redis.call('SADD', index, id)
  local ttl = redis.call('PTTL', index)
  if ttl < 0 or now + ttl < keep_until then redis.call('PEXPIREAT', index, keep_until) end
  return true
end

-- Blocking bookings of `res` that overlap [from, to) as {bs, be, q}, expiring lapsed holds on
-- the way so that they never block; bookings in `skip` (a set of ids) left out. An expiry may
-- promote a waiting entry to a hold, so then the usage is read again.
local function blocking_overlaps(base, maxlen, res, from, to, now, skip)
  local span = tonumber(redis.call('HGET', base .. 'r:' .. res .. ':m', 'span') or '0')
  local ids = redis.call('ZRANGEBYSCORE', base .. 'r:' .. res .. ':act', from - span, '(' .. to)
  local used, changed = {}, false
  for _, id in ipairs(ids) do
    -- Only the fields the decision needs; the whole booking only when time has changed it.
    local f = redis.call('HMGET', base .. 'b:' .. id, 'st', 'bs', 'be', 'q', 'hx', 's', 'e', 'ns')
    if f[1] then
      local b = {st = f[1], bs = f[2], be = f[3], q = f[4], hx = f[5], s = f[6], e = f[7],
                 ns = f[8]}
      local due = due_at(b)
      if due and due <= now then
        b = load(base, id)
        changed = advance(base, maxlen, b, now) or changed
      end
      local bs, be = tonumber(b.bs), tonumber(b.be)
      if BLOCKING[b.st] and bs < to and be > from and not skip[id] then
        used[#used + 1] = {bs, be, tonumber(b.q)}
      end
    end
  end
  if changed then return live_usage(base, res, from, to, now, skip) end
  return used
end

-- Books one or more occurrences on a resource (one for a single booking, many for a recurring
-- one), each checked against the resource's blocking bookings, the organisation's quota, the SME
-- share, and the occurrences accepted before it in the same call. All or nothing: when one does
-- not fit, nothing is written.
-- KEYS: base (the shard's prefix <b>: the keys of bookings found in the resource's indexes are
--       built from it, in its hash tag), meta (the resource's r:<res>:m), replay (none without a
--       request id; see the prelude).
-- ARGV: res, org, capacity, hold, approval (approval required), training (training required),
--       all_or_nothing ('1'/'0' each), hold_ttl, no_show (grace ms, 0 = off), title, notes,
--       series ('' = none), held_for (another component's record the booking holds the resource
--       for, '' = none: only a transition naming it cancels the booking), fingerprint,
--       replay_ttl, maxlen (of the event stream), expected (the
--       resource version the caller planned against, '' = any), replaces (bookings of the
--       resource this call replaces, space-separated: they do not count against the new
--       occurrences and are cancelled, with replace_reason, when the new ones are booked),
--       replace_reason, occurrences: a JSON array of {id, s, e, bs, be (ms), q, qk (quota key),
--       ql (quota limit), sk (SME-share key), sl (SME-share limit, -1 = no check), m
--       (unit-minutes)}, every value a string.
-- Returns {'ok'|'replay', JSON array}: per occurrence {b = booking} or {err = reason, msg = text,
-- s, e (the occurrence's times, when the answer is stored)}.
local function sch_book(keys, args)
  local k, a = named(keys, args)
  local base, res, org, capacity = k.base, a.res, a.org, tonumber(a.capacity)
  local maxlen, all_or_nothing, series = a.maxlen, a.all_or_nothing == '1', a.series
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  local expected = a.expected
  if expected ~= '' and (redis.call('HGET', k.meta, 'seq') or '0') ~= expected then
    return fail('ABORTED', 'resource ' .. res)
  end
  -- A replaced booking stops counting only if this call cancels it: one checked in (or otherwise
  -- past cancelling) keeps blocking, and a new occurrence over it is refused.
  local replaced, skip = {}, {}
  for id in string.gmatch(a.replaces, '%S+') do
    replaced[#replaced + 1] = id
    if REPLACEABLE[redis.call('HGET', base .. 'b:' .. id, 'st') or ''] then skip[id] = true end
  end
  if a.training == '1' and redis.call('SISMEMBER', base .. 'r:' .. res .. ':trained', org) == 0 then
    return fail('FAILED_PRECONDITION', 'TRAINING_REQUIRED the owner has not recorded training ' ..
                'for your organisation on this resource')
  end
  local now = now_ms()
  local accepted, pending = {}, {}  -- {bs, be, q} and allowance taken by earlier occurrences
  local results, refused = {}, false
  local occurrences = cjson.decode(a.occurrences)
  local n = #occurrences
  -- Lapsed bookings near any occurrence expire before the first is checked: an expiry promotes
  -- waiting entries, and one promoted while a later occurrence is checked would not be seen by
  -- the earlier ones, which are written only after every check.
  if n > 1 then
    for i = 1, n do
      blocking_overlaps(base, maxlen, res, tonumber(occurrences[i].bs),
                        tonumber(occurrences[i].be), now, skip)
    end
  end
  for i = 1, n do
    local o = occurrences[i]
    local bs, be, q = tonumber(o.bs), tonumber(o.be), tonumber(o.q)
    local allowance = {qk = o.qk, ql = tonumber(o.ql), sk = o.sk, sl = tonumber(o.sl),
                       m = tonumber(o.m)}
    local used = blocking_overlaps(base, maxlen, res, bs, be, now, skip)
    for _, u in ipairs(accepted) do
      if u[1] < be and u[2] > bs then used[#used + 1] = u end
    end
    if peak_usage(used, bs, be) + q > capacity then
      local hint = ' (a hold lapses unless its booker confirms it in time); the waiting list ' ..
                   '(JoinWaitlist; infrashare booking wait) offers it to you when it frees'
      if capacity == 1 then
        results[i] = {err = 'SLOT_TAKEN',
                      msg = 'the slot is taken by a booking or a hold' .. hint}
      else
        results[i] = {err = 'CAPACITY_EXCEEDED',
                      msg = 'fewer than ' .. q .. ' seats or units are free throughout the slot' ..
                            hint}
      end
      refused = true
    else
      local refusal = allowance_refusal(base, res, allowance, pending)
      if refusal then
        results[i] = refusal
        refused = true
      else
        take_allowance(allowance, pending)
        accepted[#accepted + 1] = {bs, be, q}
        results[i] = {ok = o}
      end
    end
  end
  if refused and all_or_nothing then
    for i = 1, n do
      if results[i].ok then
        results[i] = {err = 'NOT_BOOKED', msg = 'another occurrence of the series did not fit'}
      end
    end
    return {'ok', cjson.encode(results)}
  end
  for i = 1, n do
    local o = results[i].ok
    if o then
      local b = {id = o.id, res = res, org = org, s = o.s, e = o.e, bs = o.bs, be = o.be, q = o.q,
                 t = a.title, n = a.notes, rs = '', cr = tostring(now), up = tostring(now),
                 ap = a.approval, ns = a.no_show, hx = '', sr = series, qk = o.qk, sk = o.sk,
                 qm = o.m, hf = a.held_for}
      if a.hold == '1' then
        b.st = 'HELD'
        b.hx = int_text(now + tonumber(a.hold_ttl))
      elseif a.approval == '1' then
        b.st = 'PENDING_APPROVAL'
      else
        b.st = 'CONFIRMED'
      end
      if keep_contact(base, b.id, a.contact, a.person, tonumber(b.e) + tonumber(a.retention),
                      now) then
        b.ct = '1'
      end
      results[i] = {json = insert_booking(base, maxlen, b, 'CREATED')}
    end
  end
  -- After the inserts, so that a waiting entry promoted into the freed time sees the new bookings.
  for _, id in ipairs(replaced) do
    local b = load(base, id)
    if b and b.res == res and REPLACEABLE[b.st] then
      release(base, maxlen, b, 'CANCELLED', a.replace_reason, now)
    end
  end
  -- The JSON array by hand: each booking is encoded once, for its event and for the reply.
  -- A refusal carries its occurrence's times, so that a retry's answer (read back in C++ when the
  -- retry's own checks fail) can be matched to its occurrences.
  local parts = {}
  for i = 1, n do
    local r = results[i]
    if r.json then
      parts[i] = '{"b":' .. r.json .. '}'
    else
      r.s, r.e = occurrences[i].s, occurrences[i].e
      parts[i] = cjson.encode(r)
    end
  end
  local out = '[' .. table.concat(parts, ',') .. ']'
  replay_put(k, a, out)
  return {'ok', out}
end

-- KEYS: base (the shard's prefix), booking (its b:<id>), replay (as for sch_book).
-- ARGV: id, op (submit|approve|reject|cancel|checkin), caller (organisation), owner (the caller
--       owns the resource), admin (the caller is a platform admin) ('1'/'0' both), reason,
--       fingerprint, replay_ttl, maxlen, checkin_opens (ms before the start), held_for (the
--       record a component holds the booking for: required to cancel such a booking).
local function sch_transition(keys, args)
  local k, a = named(keys, args)
  local base, id, op, caller = k.base, a.id, a.op, a.caller
  local owner, admin, reason, maxlen = a.owner == '1', a.admin == '1', a.reason, a.maxlen
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  local b = read_hash(k.booking)
  if not b then return fail('NOT_FOUND', 'booking ' .. id) end
  local booker = b.org == caller
  if not (booker or owner or admin) then
    return fail('PERMISSION_DENIED', 'the booking belongs to another organisation')
  end
  local now = now_ms()
  advance(base, maxlen, b, now)
  local function wrong_state(what)
    return fail('FAILED_PRECONDITION', 'INVALID_STATE ' .. what .. '; the booking is ' .. b.st)
  end
  if op == 'submit' then
    if not (booker or admin) then
      return fail('PERMISSION_DENIED', 'only the booker submits a hold')
    end
    if b.st == 'EXPIRED' then
      return fail('FAILED_PRECONDITION', 'HOLD_EXPIRED the hold has expired')
    end
    if b.st ~= 'HELD' then return wrong_state('only a hold can be submitted') end
    -- Whether the resource still takes the hold as it is now: its capacity may have been lowered
    -- and training become required since (a promoted entry joined under the facts of then).
    local capacity = tonumber(a.capacity)
    if capacity > 0 then
      local used = live_usage(base, b.res, tonumber(b.bs), tonumber(b.be), now, {[id] = true})
      if peak_usage(used, tonumber(b.bs), tonumber(b.be)) + tonumber(b.q) > capacity then
        local full = capacity == 1 and 'SLOT_TAKEN' or 'CAPACITY_EXCEEDED'
        return fail('FAILED_PRECONDITION',
                    full .. ' the resource no longer has room for this hold throughout its slot')
      end
    end
    if a.training == '1' and
       redis.call('SISMEMBER', base .. 'r:' .. b.res .. ':trained', b.org) == 0 then
      return fail('FAILED_PRECONDITION', 'TRAINING_REQUIRED the owner has not recorded training ' ..
                  'for your organisation on this resource')
    end
    b.hx = ''
    change(base, maxlen, b, b.ap == '1' and 'PENDING_APPROVAL' or 'CONFIRMED', now)
  elseif op == 'approve' or op == 'reject' then
    if not (owner or admin) then
      return fail('PERMISSION_DENIED', 'only the resource owner approves or rejects a booking')
    end
    if b.st ~= 'PENDING_APPROVAL' then
      return wrong_state('only a pending request can be decided')
    end
    if op == 'approve' then
      change(base, maxlen, b, 'CONFIRMED', now)
    else
      release(base, maxlen, b, 'REJECTED', reason, now)
    end
  elseif op == 'cancel' then
    if not (b.st == 'HELD' or b.st == 'PENDING_APPROVAL' or b.st == 'CONFIRMED') then
      return wrong_state('only a hold, a pending request or a confirmed booking can be cancelled')
    end
    if (b.hf or '') ~= '' and b.hf ~= a.held_for then
      return fail('FAILED_PRECONDITION', 'HELD_FOR_EVENT the booking holds the resource for ' ..
                  'programme event ' .. b.hf .. ': cancel the event instead')
    end
    release(base, maxlen, b, 'CANCELLED', reason, now, booker and not owner and not admin)
  elseif op == 'checkin' then
    if b.st ~= 'CONFIRMED' then return wrong_state('only a confirmed booking can be checked in') end
    if now < tonumber(b.s) - tonumber(a.checkin_opens) then
      return fail('FAILED_PRECONDITION', 'TOO_EARLY check-in opens shortly before the start')
    end
    change(base, maxlen, b, 'CHECKED_IN', now)
  else
    return fail('INVALID_ARGUMENT', 'operation unknown')
  end
  local out = cjson.encode(b)
  replay_put(k, a, out)
  return {'ok', out}
end

-- KEYS: base (the shard's prefix), timers (its tm). ARGV: limit, maxlen.
-- Applies due time-based transitions; returns how many timers it looked at.
local function sch_sweep(keys, args)
  local k, a = named(keys, args)
  local base, limit, maxlen = k.base, tonumber(a.limit), a.maxlen
  local now = now_ms()
  local ids = redis.call('ZRANGEBYSCORE', k.timers, '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local b = load(base, id)
    if not b or not advance(base, maxlen, b, now) then redis.call('ZREM', k.timers, id) end
  end
  return #ids
end

-- KEYS: base (the shard's prefix), timers (its tm).
-- ARGV: state (a state with a timer: HELD, PENDING_APPROVAL, CONFIRMED, CHECKED_IN), within (ms
--       from now; '' = whenever), offset, limit.
-- Counts the shard's bookings in `state` whose next time-based transition is due within `within`
-- (for a hold: its expiry), reading `limit` timers from `offset` in due order, so that no call
-- holds Redis long: {count, timers read}. The caller reads on while a call reads `limit`; a
-- booking that changes meanwhile may be counted twice or not at all (a gauge, not a ledger).
local function sch_count(keys, args)
  local k, a = named(keys, args)
  local last = a.within == '' and '+inf' or int_text(now_ms() + tonumber(a.within))
  local ids = redis.call('ZRANGEBYSCORE', k.timers, '-inf', last, 'LIMIT', a.offset, a.limit)
  local count = 0
  for _, id in ipairs(ids) do
    if redis.call('HGET', k.base .. 'b:' .. id, 'st') == a.state then count = count + 1 end
  end
  return {count, #ids}
end

-- KEYS: base (the shard's prefix). ARGV: res, from, to (ms).
-- Blocking bookings overlapping [from, to) as flat {bs, be, q, id} quadruples, lapsed holds left
-- out.
local function sch_busy(keys, args)
  local k, a = named(keys, args)
  local out = {}
  for _, u in ipairs(live_usage(k.base, a.res, tonumber(a.from), tonumber(a.to), now_ms())) do
    out[#out + 1] = int_text(u[1])
    out[#out + 1] = int_text(u[2])
    out[#out + 1] = int_text(u[3])
    out[#out + 1] = u[4]
  end
  return out
end

-- One page of a booking index (zset by start): the bookings starting in [from, to) after
-- (after_score, after_id) ('' = from the start), in (start, id) order. `take(id)` gives the entries
-- to return for a booking, or nil to leave it out; at most `limit` bookings are taken and at most
-- `budget` looked at (a filter that matches little would otherwise read a whole index in one
-- call). Returns {more, entries, score, id}: when more, the position up to which every booking was
-- looked at, where the next page goes on ('' '' when the index ended).
local function index_page(index, from, to, after_score, after_id, limit, budget, take)
  local out, n, looked = {}, 0, 0
  local at_score, at_id = after_score, after_id
  -- Where to begin: just after the cursor, by its rank when the index holds it with its start (a
  -- run of bookings with one start is not walked again page after page); otherwise from the
  -- cursor's start, passing over what lies before it.
  local rank
  if after_id ~= '' then
    local score = redis.call('ZSCORE', index, after_id)
    if score and tonumber(score) == tonumber(after_score) then
      rank = redis.call('ZRANK', index, after_id) + 1
    else
      from = after_score
    end
  end
  rank = rank or redis.call('ZCOUNT', index, '-inf', '(' .. from)
  local before = tonumber(to)
  while true do
    local chunk = redis.call('ZRANGE', index, rank, rank + 499, 'WITHSCORES')
    for i = 1, #chunk, 2 do
      local id, score = chunk[i], chunk[i + 1]
      if tonumber(score) >= before then return {0, out, '', ''} end
      if not (after_id ~= '' and tonumber(score) == tonumber(after_score) and
                bytes_le(id, after_id)) then
        if looked == budget then return {1, out, at_score, at_id} end
        local entries = take(id)
        if entries then
          if n == limit then return {1, out, at_score, at_id} end
          n = n + 1
          for _, e in ipairs(entries) do out[#out + 1] = e end
        end
        looked = looked + 1
        at_score, at_id = score, id
      end
    end
    if #chunk < 1000 then return {0, out, '', ''} end
    rank = rank + 500
  end
end

local function wanted_states(list)
  local wanted = {}
  for state in string.gmatch(list, '%S+') do wanted[state] = true end
  return wanted
end

-- KEYS: base (the shard's prefix), index (a booking index: r:<res>:all or o:<org>).
-- ARGV: from (ms, inclusive), to (ms, exclusive), after_score, after_id ('' = first page), limit,
--       budget, states (space-separated, '' = all).
-- Up to `limit` bookings as JSON in (start, id) order, whether more follow and from where.
local function sch_page(keys, args)
  local k, a = named(keys, args)
  local wanted = a.states ~= '' and wanted_states(a.states) or nil
  return index_page(k.index, a.from, a.to, a.after_score, a.after_id, tonumber(a.limit),
                    tonumber(a.budget),
                    function(id)
                      local b = load(k.base, id)
                      if b and (not wanted or wanted[b.st]) then return {cjson.encode(b)} end
                      return nil
                    end)
end

-- KEYS: base (the shard's prefix), index (the resource's r:<res>:all), meta (its r:<res>:m).
-- ARGV: from (ms, inclusive), to (ms, exclusive), after_score, after_id ('' = from the start),
--       limit, states (space-separated).
-- What a usage report counts of the bookings in those states that reach into [from, to): they
-- start before `to` and end after `from` (looked for from the resource's longest blocked span
-- before `from`). Without the rest of the record: {more, {id, org, s, e, q, id, org, ...}, score,
-- id} in (start, id) order, at most `limit` bookings (and as many looked at) a call.
local function sch_spans(keys, args)
  local k, a = named(keys, args)
  local wanted = wanted_states(a.states)
  local from = tonumber(a.from)
  local span = tonumber(redis.call('HGET', k.meta, 'span') or '0')
  return index_page(k.index, int_text(from - span), a.to, a.after_score, a.after_id,
                    tonumber(a.limit), tonumber(a.limit),
                    function(id)
                      local f = redis.call('HMGET', k.base .. 'b:' .. id, 'st', 'org', 's', 'e',
                                           'q')
                      if f[1] and wanted[f[1]] and tonumber(f[4]) > from then
                        return {id, f[2], f[3], f[4], f[5]}
                      end
                      return nil
                    end)
end

-- KEYS: base (the shard's prefix), meta (the resource's r:<res>:m), entry (the entry's w:<id>),
--       replay (as for sch_book).
-- ARGV: id, res, org, s, e, bs, be (ms), q, capacity, approval, no_show, hold_ttl, title,
--       fingerprint, replay_ttl, training (as for sch_book), and the allowance qk, ql, sk, sl, m.
-- Joins the waitlist for a slot that is taken now; SLOT_AVAILABLE when it is free.
local function sch_wait(keys, args)
  local k, a = named(keys, args)
  local base, id, res = k.base, a.id, a.res
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  local now = now_ms()
  if a.training == '1' and
     redis.call('SISMEMBER', base .. 'r:' .. res .. ':trained', a.org) == 0 then
    return fail('FAILED_PRECONDITION', 'TRAINING_REQUIRED the owner has not recorded training ' ..
                'for your organisation on this resource')
  end
  local bs, be, q = tonumber(a.bs), tonumber(a.be), tonumber(a.q)
  if peak_usage(live_usage(base, res, bs, be, now), bs, be) + q <= tonumber(a.capacity) then
    return fail('FAILED_PRECONDITION', 'SLOT_AVAILABLE the slot is free: book it instead')
  end
  -- The list holds only slots still to come: entries whose slot began leave it as one joins.
  local list = base .. 'r:' .. res .. ':wl'
  for _, waiting in ipairs(redis.call('ZRANGE', list, 0, -1)) do
    local entry = load_entry(base, waiting)
    if not entry then
      redis.call('ZREM', list, waiting)
    else
      expire_if_begun(base, list, waiting, entry, now)
    end
  end
  local w = {id = id, res = res, org = a.org, s = a.s, e = a.e, bs = a.bs, be = a.be, q = a.q,
             cap = a.capacity, ap = a.approval, ns = a.no_show, ttl = a.hold_ttl, t = a.title,
             st = 'WAITING', bk = '', cr = tostring(now), qk = a.qk, ql = a.ql, sk = a.sk,
             sl = a.sl, qm = a.m}
  local flat = {}
  for field, v in pairs(w) do
    flat[#flat + 1] = field
    flat[#flat + 1] = v
  end
  if keep_contact(base, id, a.contact, a.person, tonumber(a.e) + tonumber(a.retention), now) then
    w.ct = '1'
    flat[#flat + 1] = 'ct'
    flat[#flat + 1] = '1'
  end
  redis.call('HSET', k.entry, unpack(flat))
  redis.call('ZADD', base .. 'r:' .. res .. ':wl', now, id)
  local out = cjson.encode(w)
  replay_put(k, a, out)
  return {'ok', out}
end

-- KEYS: base (the shard's prefix), entry (the entry's w:<id>).
-- ARGV: id, caller (organisation), admin (the caller is admin, '1'/'0').
local function sch_unwait(keys, args)
  local k, a = named(keys, args)
  local w = read_hash(k.entry)
  if not w then return fail('NOT_FOUND', 'waitlist_entry ' .. a.id) end
  if w.org ~= a.caller and a.admin ~= '1' then
    return fail('PERMISSION_DENIED', 'the waitlist entry belongs to another organisation')
  end
  if w.st == 'WAITING' and not expire_if_begun(k.base, k.base .. 'r:' .. w.res .. ':wl', a.id, w,
                                               now_ms()) then
    w.st = 'LEFT'
    redis.call('HSET', k.entry, 'st', 'LEFT')
    redis.call('ZREM', k.base .. 'r:' .. w.res .. ':wl', a.id)
  end
  return {'ok', cjson.encode(w)}
end

-- KEYS: base (the shard's prefix), waitlist (the resource's r:<res>:wl).
-- The waiting entries, first come first; not those whose slot began (they have expired: the next
-- write to the list marks them so).
local function sch_waiting(keys, args)
  local k = named(keys, args)
  local out, now = {}, now_ms()
  for _, id in ipairs(redis.call('ZRANGE', k.waitlist, 0, -1)) do
    local w = load_entry(k.base, id)
    if w and w.st == 'WAITING' and tonumber(w.s) > now then out[#out + 1] = cjson.encode(w) end
  end
  return out
end

-- KEYS: trained (the resource's trained set). ARGV: org, trained ('1' to record, '0' to revoke).
local function sch_train(keys, args)
  local k, a = named(keys, args)
  if a.trained == '1' then
    redis.call('SADD', k.trained, a.org)
  else
    redis.call('SREM', k.trained, a.org)
  end
  return redis.call('SMEMBERS', k.trained)
end

-- KEYS: trained (the resource's trained set). ARGV: org. 1 when the organisation is on it.
local function sch_trained(keys, args)
  local k, a = named(keys, args)
  return redis.call('SISMEMBER', k.trained, a.org)
end

-- KEYS: base (the shard's prefix), index (its bp:<person>).
-- The bookings and waiting entries whose booker's address is the person's, as JSON: id, res, s,
-- e, st (the booking's state, or the entry's), address.
local function sch_contacts(keys, args)
  local k = named(keys, args)
  local out = {}
  for _, id in ipairs(redis.call('SMEMBERS', k.index)) do
    local address = redis.call('GET', k.base .. 'bc:' .. id)
    if address then
      local b = load(k.base, id) or load_entry(k.base, id)
      if b then
        out[#out + 1] = {id = id, res = b.res, s = b.s, e = b.e, st = b.st, address = address}
      end
    end
  end
  if #out == 0 then return '[]' end
  return cjson.encode(out)
end

-- KEYS: base, index (as for sch_contacts). Deletes the person's addresses; returns how many.
local function sch_forget(keys, args)
  local k = named(keys, args)
  local n = 0
  for _, id in ipairs(redis.call('SMEMBERS', k.index)) do
    n = n + redis.call('DEL', k.base .. 'bc:' .. id)
  end
  redis.call('DEL', k.index)
  return n
end

register('sch_contacts', sch_contacts, {'no-writes'})
register('sch_forget', sch_forget)
register('sch_train', sch_train)
register('sch_trained', sch_trained, {'no-writes'})
register('sch_wait', sch_wait)
register('sch_unwait', sch_unwait)
register('sch_waiting', sch_waiting, {'no-writes'})
register('sch_book', sch_book)
register('sch_transition', sch_transition)
register('sch_sweep', sch_sweep)
register('sch_busy', sch_busy, {'no-writes'})
register('sch_count', sch_count, {'no-writes'})
register('sch_page', sch_page, {'no-writes'})
register('sch_spans', sch_spans, {'no-writes'})
