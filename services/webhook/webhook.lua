-- Outgoing webhooks (services/webhook/webhook_store.h): subscriptions, the delivery queue, retries,
-- dead letters and the delivery log. Every key shares the hash tag {wh}:
--   <w> = <prefix>{wh}:
--   <w>s:<id>        hash    a subscription: id, org, url, ev (event type numbers, space-
--                            separated), en ('1'/'0'), ds (description), cr, up (ms), by (token
--                            id), v (version: the etag), k (secret), kp (previous secret), kpx
--                            (until when it signs, ms), dt, dr, dw (disabled by the server: when,
--                            why, which change), rl (booking.starts_soon's lead, s)
--   <w>org:<org>     zset    the organisation's subscription ids, by creation (ms)
--   <w>all           zset    every subscription id (score 0)
--   <w>ver           string  bumped by every change of a subscription: replicas reload them
--   <w>q             stream  deliveries due now: j (job id); consumer group 'senders'; an entry is
--                            deleted once its attempt is settled
--   <w>j:<job>       hash    one change for one subscription: sub, type, body (the JSON), t (the
--                            change's time, ms), first (first queued, ms), at (attempts), q (its
--                            entry in <w>q, '' when not queued), st (queued|retry|dead|done), err,
--                            sc (last HTTP status), dead (ms), et (the event type the subscription
--                            must still receive); a timed job waits with st 'timed' and keeps
--                            timed '1' (a disabled subscription drops it: no late reminders);
--                            an e-mail has sub 'mail', to (the recipient's address) and ta
--                            (the hash of the address), and loses body and to once sent
--   <w>ma:<hash>     set     e-mails waiting for one address (by ta): erased with the person
--   <w>retry         zset    job -> when it is tried again (ms)
--   <w>at            zset    timed job (st 'timed') -> when it is due (ms)
--   <w>slot:<slot>   hash    a timed trigger's slot (<sub>|<type>|<object>): j (its job), e (the
--                            stream entry of the change that set it); expires after the job's time
--   <w>dl:<sub>      zset    the subscription's dead letters, by when they died (ms)
--   <w>log:<sub>     list    the latest attempts, newest first, JSON {t,w,ty,a,s,l,o,e}
--   <w>ev            stream  what the server did to a subscription: type (DISABLED), sub, org,
--                            url, why; read by the senders' group like every change stream (the
--                            organisation's contacts are e-mailed), trimmed to about 10000
--   <w>req:<...>     string  replay of a call (Create's and Rotate's hold the secret, hence short)

local SUBSCRIPTION_FIELDS = {'id', 'org', 'url', 'ev', 'en', 'ds', 'cr', 'up', 'by', 'rl', 'v', 'k',
                             'kp', 'kpx', 'dt', 'dr', 'dw'}

local function flat(h)
  local out = {}
  for _, name in ipairs(SUBSCRIPTION_FIELDS) do
    out[#out + 1] = name
    out[#out + 1] = h[name] or ''
  end
  return out
end

local function bump(k)
  redis.call('INCR', k.ver)
end

-- KEYS: sub (<w>s:<id>), org (<w>org:<org>), all, ver, replay.
-- ARGV: record (JSON of the fields above), response (the answer to replay), max (subscriptions an
--       organisation may hold), fingerprint, replay_ttl.
-- Returns {'created', ''} or {'replay', <the first call's response>}.
local function wh_create(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  if redis.call('ZCARD', k.org) >= tonumber(a.max) then
    return redis.error_reply('FAILED_PRECONDITION TOO_MANY_SUBSCRIPTIONS the organisation holds '
      .. a.max .. ' webhook subscriptions: delete one first')
  end
  local h = cjson.decode(a.record)
  h.v = '1'
  redis.call('HSET', k.sub, unpack(flat(h)))
  redis.call('ZADD', k.org, h.cr, h.id)
  redis.call('ZADD', k.all, 0, h.id)
  bump(k)
  replay_put(k, a, a.response)
  return {'created', ''}
end

-- KEYS: sub, ver, replay. ARGV: id, expected (the version read), record (JSON of every field,
-- v the next version), response (the answer to replay), fingerprint, replay_ttl.
-- Replaces the subscription if it is still at the version read (ABORTED otherwise: read again).
-- Returns {'put', ''} or {'replay', <the first call's response>}.
local function wh_put(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return {'replay', previous} end
  local v = redis.call('HGET', k.sub, 'v')
  if not v then return redis.error_reply('NOT_FOUND webhook_subscription ' .. a.id) end
  if v ~= a.expected then return redis.error_reply('ABORTED webhook_subscription ' .. a.id) end
  redis.call('HSET', k.sub, unpack(flat(cjson.decode(a.record))))
  bump(k)
  replay_put(k, a, a.response)
  return {'put', ''}
end

-- Drops one job and its hash.
-- The people a job's body names are indexed by the hash of their address (<w>ma:<hash>), so that
-- their erasure drops it (wh_erase_mail): `ta`, an e-mail's recipient; `tp`, the addresses in a
-- webhook's payload (space-separated).
local function unindex(base, id, ta, tp)
  if (ta or '') ~= '' then redis.call('SREM', base .. 'ma:' .. ta, id) end
  for person in string.gmatch(tp or '', '%S+') do
    redis.call('SREM', base .. 'ma:' .. person, id)
  end
end

local function drop_job(base, id)
  local key = base .. 'j:' .. id
  local people = redis.call('HMGET', key, 'ta', 'tp')
  unindex(base, id, people[1], people[2])
  redis.call('DEL', key)
end

-- KEYS: base (<w>), sub, org (<w>org:<org>), all, ver, replay. ARGV: id, org (the organisation
-- the caller read it as), fingerprint, replay_ttl.
-- Deletes the subscription, its dead letters and its log; jobs still queued are dropped when
-- taken. NOT_FOUND unless it is `org`'s. Returns the record as it was, flat, in JSON (what a
-- retry gets too).
local function wh_delete(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return previous end
  local h = read_hash(k.sub)
  if not h or h.org ~= a.org then
    return redis.error_reply('NOT_FOUND webhook_subscription ' .. a.id)
  end
  local dl = k.base .. 'dl:' .. a.id
  for _, job in ipairs(redis.call('ZRANGE', dl, 0, -1)) do drop_job(k.base, job) end
  redis.call('DEL', k.sub, dl, k.base .. 'log:' .. a.id)
  redis.call('ZREM', k.org, a.id)
  redis.call('ZREM', k.all, a.id)
  bump(k)
  local record = cjson.encode(flat(h))
  replay_put(k, a, record)
  return record
end

-- KEYS: base, index (<w>org:<org> or <w>all). Returns every subscription of the index, oldest
-- first, each as its flat field list.
local function wh_list(keys, args)
  local k = named(keys, args)
  local out = {}
  for _, id in ipairs(redis.call('ZRANGE', k.index, 0, -1)) do
    local h = read_hash(k.base .. 's:' .. id)
    if h then out[#out + 1] = flat(h) end
  end
  return out
end

-- Whether stream entry id `a` ("<ms>-<seq>") is after `b`.
local function entry_after(a, b)
  local am, as = a:match('^(%d+)-(%d+)$')
  local bm, bs = b:match('^(%d+)-(%d+)$')
  if not am or not bm then return true end
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) > tonumber(bm) end
  return tonumber(as) > tonumber(bs)
end

-- A timed job's slot: the change `job.e` sets it to `job` (or, with job.cancel, empties it),
-- dropping the job that waited there, unless the slot was set by a later change. Returns whether
-- `job` is to be stored.
local function claim_slot(k, job)
  local key = k.base .. 'slot:' .. job.slot
  local slot = read_hash(key)
  if slot then
    if slot.e ~= '' and job.e ~= '' and not entry_after(job.e, slot.e) then return false end
    if slot.j ~= '' and slot.j ~= job.id then
      local waiting = k.base .. 'j:' .. slot.j
      -- Not sent yet: waiting for its time, queued, put off for a slow receiver (deferred) or
      -- to be tried again. Its queue entry, if any, is then stale (a sender under way with it
      -- still sends it once). The retry set's key: from KEYS, or (a replica of the version before,
      -- in a rolling upgrade) from the base.
      local state = redis.call('HGET', waiting, 'st')
      if state == 'timed' or state == 'queued' or state == 'deferred' or state == 'retry' then
        redis.call('ZREM', k.at, slot.j)
        redis.call('ZREM', rawget(k, 'retry') or (k.base .. 'retry'), slot.j)
        drop_job(k.base, slot.j)
      end
    end
  end
  -- Kept until a day after the job's time (a cancellation: a day): by then no change can move it.
  local keep = math.max(tonumber(job.at), now_ms()) + 86400000
  redis.call('HSET', key, 'j', job.cancel and '' or job.id, 'e', job.e)
  redis.call('PEXPIREAT', key, int_text(keep))
  return not job.cancel
end

-- KEYS: base, q, at, retry. ARGV: jobs (JSON array of {id, sub, type, body, t, slot, e, at,
-- cancel, to, ta, tp}: `to` and `ta` only for an e-mail, `tp` for a payload naming people).
-- Queues the jobs not already known (a change read twice, after a replica died between queueing
-- and acknowledging it, keeps its one job); a job with a time (`at` > 0) waits in <w>at until
-- then, in its slot (claim_slot). Returns how many were queued or timed.
local function wh_enqueue(keys, args)
  local k, a = named(keys, args)
  local queued = 0
  local now = int_text(now_ms())
  for _, job in ipairs(cjson.decode(a.jobs)) do
    local key = k.base .. 'j:' .. job.id
    local store = true
    if job.slot ~= '' then store = claim_slot(k, job) end
    if store and redis.call('EXISTS', key) == 0 then
      if tonumber(job.at) > 0 then
        redis.call('ZADD', k.at, job.at, job.id)
        redis.call('HSET', key, 'sub', job.sub, 'type', job.type, 'body', job.body, 't', job.t,
                   'et', job.et, 'first', now, 'at', '0', 'q', '', 'st', 'timed', 'err', '',
                   'sc', '0', 'timed', '1', 'to', job.to or '', 'ta', job.ta or '', 'tp',
                   job.tp or '')
      else
        local entry = redis.call('XADD', k.q, '*', 'j', job.id)
        redis.call('HSET', key, 'sub', job.sub, 'type', job.type, 'body', job.body, 't', job.t,
                   'et', job.et, 'first', now, 'at', '0', 'q', entry, 'st', 'queued', 'err', '',
                   'sc', '0', 'to', job.to or '', 'ta', job.ta or '', 'tp', job.tp or '')
      end
      if (job.ta or '') ~= '' then redis.call('SADD', k.base .. 'ma:' .. job.ta, job.id) end
      for person in string.gmatch(job.tp or '', '%S+') do
        redis.call('SADD', k.base .. 'ma:' .. person, job.id)
      end
      queued = queued + 1
    end
  end
  return queued
end

local function unqueue(k, entry)
  redis.call('XACK', k.q, 'senders', entry)
  redis.call('XDEL', k.q, entry)
end

local function log_attempt(base, sub, max, entry)
  local key = base .. 'log:' .. sub
  redis.call('LPUSH', key, cjson.encode(entry))
  redis.call('LTRIM', key, 0, tonumber(max) - 1)
end

-- Makes a job a dead letter of its subscription, keeping at most `max` (the oldest go). A dead
-- e-mail keeps neither its text nor its address (it is not sent again).
-- An e-mail sent or given up: its address and text go.
local function forget_recipient(base, id, job)
  redis.call('HDEL', base .. 'j:' .. id, 'body', 'to')
  unindex(base, id, job.ta, job.tp)
end

local function bury(base, id, job, now, max)
  local dl = base .. 'dl:' .. job.sub
  redis.call('HSET', base .. 'j:' .. id, 'st', 'dead', 'q', '', 'dead', now)
  if (job.to or '') ~= '' then forget_recipient(base, id, job) end
  redis.call('ZADD', dl, now, id)
  local excess = redis.call('ZCARD', dl) - tonumber(max)
  if excess > 0 then
    for _, old in ipairs(redis.call('ZRANGE', dl, 0, excess - 1)) do drop_job(base, old) end
    redis.call('ZREMRANGEBYRANK', dl, 0, excess - 1)
  end
end

-- Whether subscription `sub` still receives event type `et` (a number as text; '' or '0': any).
local function receives(sub, et)
  if not et or et == '' or et == '0' then return true end
  for type in string.gmatch(sub.ev or '', '%d+') do
    if type == et then return true end
  end
  return false
end

-- KEYS: base, q. ARGV: job, entry (its entry in q), dl_max, log_max.
-- What a sender needs to deliver the job: {'send', type, body, at, url, k, kp, kpx, org, sub, t};
-- for an e-mail {'mail', type, body, at, to, t}. Or {'stale'} (settled meanwhile by another
-- replica), {'gone'} (its subscription was deleted or no longer receives the job's kind of
-- change: dropped), {'off'} (its subscription is disabled: a dead letter). Those three leave the
-- queue.
local function wh_take(keys, args)
  local k, a = named(keys, args)
  local job = read_hash(k.base .. 'j:' .. a.job)
  if not job or job.q ~= a.entry then
    unqueue(k, a.entry)
    return {'stale'}
  end
  if (job.to or '') ~= '' then return {'mail', job.type, job.body, job.at, job.to, job.t} end
  local sub = read_hash(k.base .. 's:' .. job.sub)
  if not sub or not receives(sub, job.et) then
    unqueue(k, a.entry)
    drop_job(k.base, a.job)
    return {'gone'}
  end
  if sub.en ~= '1' then
    unqueue(k, a.entry)
    if job.timed == '1' then
      -- A reminder is of its moment: sent later (a redelivery) it would remind of the past.
      drop_job(k.base, a.job)
      return {'gone'}
    end
    local now = int_text(now_ms())
    bury(k.base, a.job, job, now, a.dl_max)
    log_attempt(k.base, job.sub, a.log_max, {t = now, w = a.job, ty = job.type,
      a = tonumber(job.at), s = 0, l = 0, o = 'DEAD_LETTER', e = 'the subscription is disabled'})
    return {'off'}
  end
  return {'send', job.type, job.body, job.at, sub.url, sub.k, sub.kp or '', sub.kpx or '',
          sub.org, job.sub, job.t}
end

-- KEYS: base, q, retry, ver, events. ARGV: job, entry, ok ('1'/'0'), status, latency (ms), error,
-- delay (ms until the next try), final ('1': trying again will not help), deferred ('1': no
-- attempt was made), retry_for (ms after the first attempt), log_max, dl_max, done_ttl (ms a
-- delivered job is remembered, so a change read twice is not queued twice).
-- Records one attempt: delivered, tried again after `delay`, or — past `retry_for`, or final — a
-- dead letter, and the subscription disabled (not for an e-mail: one address that refuses mail
-- says nothing of the others). A sent e-mail keeps neither its text nor its address. A deferred
-- job (its receiver had its share of the senders) is queued again after `delay`, and is no
-- attempt: `first` moves on by `delay`, so waiting does not use up retry_for. Returns
-- 'delivered', 'retry', 'dead', 'disabled', 'deferred' or 'stale'.
local function wh_settle(keys, args)
  local k, a = named(keys, args)
  local key = k.base .. 'j:' .. a.job
  local job = read_hash(key)
  if not job or job.q ~= a.entry then
    unqueue(k, a.entry)
    return 'stale'
  end
  unqueue(k, a.entry)
  local now = now_ms()
  if rawget(a, 'deferred') == '1' then  -- (absent from replicas of the version before ace187b)
    -- The time it waits is not the receiver's: retry_for counts from `first` moved on by it.
    redis.call('HSET', key, 'q', '', 'st', 'deferred',
               'first', int_text(tonumber(job.first) + tonumber(a.delay)))
    redis.call('ZADD', k.retry, now + tonumber(a.delay), a.job)
    return 'deferred'
  end
  local attempt = tonumber(job.at) + 1
  local entry = {t = int_text(now), w = a.job, ty = job.type, a = attempt,
                 s = tonumber(a.status), l = tonumber(a.latency), e = a.error}
  redis.call('HSET', key, 'at', attempt, 'q', '', 'err', a.error, 'sc', a.status)
  if a.ok == '1' then
    entry.o = 'DELIVERED'
    log_attempt(k.base, job.sub, a.log_max, entry)
    redis.call('HSET', key, 'st', 'done')
    redis.call('HDEL', key, 'body')
    if (job.to or '') ~= '' then forget_recipient(k.base, a.job, job) end
    unindex(k.base, a.job, nil, job.tp)  -- the body that named them is gone
    redis.call('PEXPIRE', key, a.done_ttl)
    return 'delivered'
  end
  if a.final ~= '1' and now + tonumber(a.delay) - tonumber(job.first) <= tonumber(a.retry_for) then
    entry.o = 'RETRYING'
    log_attempt(k.base, job.sub, a.log_max, entry)
    redis.call('HSET', key, 'st', 'retry')
    redis.call('ZADD', k.retry, now + tonumber(a.delay), a.job)
    return 'retry'
  end
  entry.o = 'DEAD_LETTER'
  log_attempt(k.base, job.sub, a.log_max, entry)
  bury(k.base, a.job, job, int_text(now), a.dl_max)
  local sub = k.base .. 's:' .. job.sub
  if (job.to or '') == '' and redis.call('HGET', sub, 'en') == '1' then
    redis.call('HSET', sub, 'en', '0', 'up', int_text(now), 'dt', int_text(now), 'dw', a.job, 'dr',
               'retries ran out after ' .. attempt .. ' attempts: ' .. a.error)
    redis.call('HINCRBY', sub, 'v', 1)
    redis.call('INCR', k.ver)
    -- In the same step, so the owner is told however the replica fares afterwards.
    local s = read_hash(sub)
    redis.call('XADD', k.events, 'MAXLEN', '~', 10000, '*', 'type', 'DISABLED', 'sub', job.sub,
               'org', s.org or '', 'url', s.url or '', 'why', s.dr or '')
    return 'disabled'
  end
  return 'dead'
end

-- KEYS: base, q, retry, at. ARGV: limit.
-- Queues the jobs whose retry is due, and up to `limit` timed jobs whose time has come (their
-- retries then count from now). Returns how many.
local function wh_due(keys, args)
  local k, a = named(keys, args)
  local now = now_ms()
  local count = 0
  for _, set in ipairs({k.retry, k.at}) do
    local due = redis.call('ZRANGEBYSCORE', set, '-inf', now, 'LIMIT', 0, tonumber(a.limit))
    for _, id in ipairs(due) do
      redis.call('ZREM', set, id)
      local key = k.base .. 'j:' .. id
      if redis.call('EXISTS', key) == 1 then
        local entry = redis.call('XADD', k.q, '*', 'j', id)
        redis.call('HSET', key, 'q', entry, 'st', 'queued')
        if set == k.at then redis.call('HSET', key, 'first', int_text(now)) end
      end
    end
    count = count + #due
  end
  return count
end

-- KEYS: base, sub, q, replay. ARGV: id, jobs (JSON array of job ids; empty array = every dead
-- letter), fingerprint, replay_ttl.
-- Queues dead letters again from their first attempt (same job, same webhook-id). Returns the
-- number queued.
local function wh_redeliver(keys, args)
  local k, a = named(keys, args)
  local previous = replay_get(k, a)
  if previous then return tonumber(previous) end
  local en = redis.call('HGET', k.sub, 'en')
  if not en then return redis.error_reply('NOT_FOUND webhook_subscription ' .. a.id) end
  if en ~= '1' then
    return redis.error_reply('FAILED_PRECONDITION SUBSCRIPTION_DISABLED enable the subscription '
      .. 'before its dead letters are delivered again')
  end
  local dl = k.base .. 'dl:' .. a.id
  local ids = cjson.decode(a.jobs)
  if #ids == 0 then ids = redis.call('ZRANGE', dl, 0, -1) end
  local now = int_text(now_ms())
  local queued = 0
  for _, id in ipairs(ids) do
    -- (A dead letter dropped meanwhile, by an erasure, is not made up again.)
    if redis.call('ZREM', dl, id) == 1 and redis.call('EXISTS', k.base .. 'j:' .. id) == 1 then
      local entry = redis.call('XADD', k.q, '*', 'j', id)
      redis.call('HSET', k.base .. 'j:' .. id, 'q', entry, 'st', 'queued', 'at', '0', 'first', now,
                 'dead', '')
      queued = queued + 1
    end
  end
  replay_put(k, a, int_text(queued))
  return queued
end

-- KEYS: base, dl (<w>dl:<sub>). ARGV: limit. The dead letters, newest first, each
-- {id, type, first, dead, at, err}.
local function wh_dead_letters(keys, args)
  local k, a = named(keys, args)
  local out = {}
  for _, id in ipairs(redis.call('ZREVRANGE', k.dl, 0, tonumber(a.limit) - 1)) do
    local j = redis.call('HMGET', k.base .. 'j:' .. id, 'type', 'first', 'dead', 'at', 'err')
    if j[1] then out[#out + 1] = {id, j[1], j[2] or '0', j[3] or '0', j[4] or '0', j[5] or ''} end
  end
  return out
end

-- KEYS: base, at, retry, index (<w>ma:<hash of the address>). Drops every job that names the
-- address and is not delivered yet: e-mails waiting for it, and webhook deliveries whose payload
-- names it, queued, timed, to be tried again or dead letters (a queue entry, a dead letter's place,
-- is then stale). Returns {e-mails, webhook deliveries} dropped.
local function wh_erase_mail(keys, args)
  local k = named(keys, args)
  local emails, deliveries = 0, 0
  for _, id in ipairs(redis.call('SMEMBERS', k.index)) do
    local sub = redis.call('HGET', k.base .. 'j:' .. id, 'sub')
    if sub == 'mail' then
      emails = emails + 1
    elseif sub then
      deliveries = deliveries + 1
    end
    if sub then redis.call('ZREM', k.base .. 'dl:' .. sub, id) end
    drop_job(k.base, id)
    redis.call('ZREM', k.at, id)
    redis.call('ZREM', k.retry, id)
  end
  redis.call('DEL', k.index)
  return {emails, deliveries}
end

register('wh_create', wh_create)
register('wh_put', wh_put)
register('wh_delete', wh_delete)
register('wh_list', wh_list, {'no-writes'})
register('wh_enqueue', wh_enqueue)
register('wh_take', wh_take)
register('wh_settle', wh_settle)
register('wh_due', wh_due)
register('wh_redeliver', wh_redeliver)
register('wh_dead_letters', wh_dead_letters, {'no-writes'})
register('wh_erase_mail', wh_erase_mail)
