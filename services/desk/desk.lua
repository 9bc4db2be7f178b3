-- The desk. Every change of an inquiry or of a responder's load is one call of a function below,
-- so replicas never double-offer, never lose an offer's deadline and never leak capacity. All desk
-- keys share the hash tag {dk} (docs/DECISIONS.md "Desk state in one hash tag"):
--   <d> = <prefix>{dk}:
--   <d>m                 string  version of the responder profiles (bumped on every profile change)
--   <d>r:<id>            hash    responder: p (profile, protobuf bytes), org, tok, v
--   <d>cap, <d>on        hash    responder -> capacity; -> '1' online / '0' offline
--   <d>ld, <d>lo         hash    responder -> inquiries offered or assigned now; -> last offer (ms)
--                                (one hash each, so routing reads every candidate's load in one go)
--   <d>rs                set     every responder id
--   <d>ro:<org>          set     responders of an organisation
--   <d>ra:<id>           zset    inquiries offered to or assigned to a responder, by time
--   <d>i:<id>            hash    inquiry (fields below)
--   <d>h:<id>            list    inquiry history, JSON entries {t, k, a, r, o, n, l}
--   <d>x:<id>            set     responders who declined or let an offer time out
--   <d>c:<id>            hash    the asker's contact (personal data), expires with the retention
--   <d>ae:<sha1>         set     inquiries whose asker has this e-mail address (SHA-1 of it as
--                                text_fold.h's FoldEmail folds it, so no key names an address),
--                                while their contact or texts are held; expires with the retention
--   <d>in:<network>      zset    inquiries a network handles or handled, by when they reached it
--                                (creation, or the referral that brought them; the first only)
--   <d>ie:<org>          zset    inquiries an entry partner took in, by creation (ms)
--   <d>q                 zset    queued inquiries, by creation (ms): first come, first served
--   <d>esc               zset    inquiries escalated now, by creation (ms): across networks
--   <d>xs:<net>, xr:<net> zset   referrals a network sent to / received from another network:
--                                member "<inquiry>:<referral number>", by referral time (ms)
--   <d>tm                zset    inquiry -> when its deadline falls (offer, queue wait, escalation)
--   <d>dq                stream  dispatch work: i = inquiry id, or '*' = drain the queue
--   <d>dqf               string  set while a drain is pending, so frees do not pile up drains
--   <d>ev                stream  events: type, i (inquiry), r (responder)
--   <d>req:<org>:<id>    string  replayed response of a mutating call
-- Inquiry fields: id, net, eo (entry org), nt (need type), th (themes, comma-separated numbers),
-- rg, gp (location "lat,lon"), tx, ur, lg, sme, ao (asker's organisation), st (state), ot
-- (offered to, comma-separated),
-- od (offer deadline ms), as (assignee), at (attempts), el (escalation level), tor, trs (referral
-- target org / responder), ch (referral chain "o:<org>,r:<responder>,..."), rf (referrals), ec
-- (escalations), oc (outcome), bk, rn (resolution note), fs, fr, fw, fc, ft (feedback), er ('1'
-- contact erased), cr, fd (the first offer's deadline ms), fa (first accept ms), ai ('1' first
-- accept within the first offer's deadline), rv
-- (resolved ms), nc (networks it was handled by, comma-separated, the first where it entered), sn
-- (suggested networks, comma-separated), ks, kf ('1'/'0': the asker agreed to sharing across
-- networks / to the follow-up), kh (how), kt (recorded ms), kb (recorded by), fu (follow-up:
-- SCHEDULED, DUE, ANSWERED or ''), fd2 (follow-up due ms), fh ('1' help started), fn (note), fa2
-- (answered ms), up, v.
-- Every timestamp is Redis' own clock (TIME), the one clock all replicas share.

local function split(list)
  local out = {}
  if list == nil or list == '' then return out end
  for item in string.gmatch(list, '[^,]+') do out[#out + 1] = item end
  return out
end

local function contains(list, item)
  return string.find(',' .. (list or '') .. ',', ',' .. item .. ',', 1, true) ~= nil
end

local function fail(code, detail) return redis.error_reply(code .. ' ' .. detail) end

-- The context every inquiry function shares: base key, clock, event stream length. Every desk
-- function takes KEYS base (<d>; the desk's keys are built from it, all in its hash tag) and
-- maxlen, and those on one inquiry KEYS inquiry (<d>i:<id>) and ARGV id too.
local function ctx(k, a)
  return {base = k.base, now = now_ms(), maxlen = a.maxlen}
end

local function load(c, id)
  local i = read_hash(c.base .. 'i:' .. id)
  if not i then return nil end
  return i
end

local function save(c, i)
  i.up = tostring(c.now)
  i.v = tostring(tonumber(i.v or '0') + 1)
  local flat = {}
  for k, v in pairs(i) do
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
  redis.call('HSET', c.base .. 'i:' .. i.id, unpack(flat))
  if i.st == 'ESCALATED' then
    redis.call('ZADD', c.base .. 'esc', tonumber(i.cr), i.id)
  else
    redis.call('ZREM', c.base .. 'esc', i.id)
  end
end

-- `extra`: more fields of the entry (c = decline reason code, w = a referral's target network).
local function history(c, i, kind, actor, responder, org, note, level, extra)
  local entry = {t = c.now, k = kind, a = actor or '', r = responder or '', o = org or '',
                 n = note or '', l = level or 0}
  for key, value in pairs(extra or {}) do entry[key] = value end
  redis.call('RPUSH', c.base .. 'h:' .. i.id, cjson.encode(entry))
end

local function event(c, type, i, responder)
  redis.call('XADD', c.base .. 'ev', 'MAXLEN', '~', c.maxlen, '*', 'type', type, 'i', i.id,
             'r', responder or '')
end

local function dispatch(c, id)
  redis.call('XADD', c.base .. 'dq', 'MAXLEN', '~', 100000, '*', 'i', id)
end

-- Capacity freed somewhere: have a dispatcher look at the queue (once, however many frees).
local function drain(c)
  if redis.call('ZCARD', c.base .. 'q') == 0 then return end
  if redis.call('SET', c.base .. 'dqf', '1', 'NX', 'PX', 5000) then dispatch(c, '*') end
end

local function add_load(c, responder, delta, inquiry_id)
  if redis.call('HEXISTS', c.base .. 'cap', responder) == 0 then return end
  local ld = redis.call('HINCRBY', c.base .. 'ld', responder, delta)
  if ld < 0 then redis.call('HSET', c.base .. 'ld', responder, 0) end
  if delta > 0 then
    redis.call('ZADD', c.base .. 'ra:' .. responder, c.now, inquiry_id)
  else
    redis.call('ZREM', c.base .. 'ra:' .. responder, inquiry_id)
  end
end

-- Takes the inquiry back from everyone it is offered to.
local function release_offers(c, i, kind, actor, note, decline)
  for _, r in ipairs(split(i.ot)) do
    add_load(c, r, -1, i.id)
    if decline then redis.call('SADD', c.base .. 'x:' .. i.id, r) end
    history(c, i, kind, actor, r, '', note, 0)
    event(c, kind, i, r)
  end
  i.ot = ''
  i.od = '0'
end

-- A deadline `ms` after now, rounded up to a whole second of the clock: deadlines the desk sets
-- fall on whole seconds (as offer deadlines do, docs/desk.md) and are never shorter than asked.
local function due_after(c, ms)
  return math.ceil((c.now + ms) / 1000) * 1000
end

local function set_timer(c, i, due)
  if due then
    redis.call('ZADD', c.base .. 'tm', due, i.id)
  else
    redis.call('ZREM', c.base .. 'tm', i.id)
  end
end

-- An inquiry being routed has a timer too: should its dispatch entry be lost (the stream keeps
-- about 100,000 entries), the timer dispatches it again, and again, until it is routed.
local ROUTING_RETRY_MS = 60000

local function to_routing(c, i)
  i.st = 'ROUTING'
  set_timer(c, i, due_after(c, ROUTING_RETRY_MS))
  dispatch(c, i.id)
end

-- Level 1 (coordinators) and level 2 (platform admins) each have a deadline (`deadlines` = {level
-- 1 ms, level 2 ms}); level 3 (back with the entry partner) is the last.
local function escalate(c, i, level, cause, deadlines)
  redis.call('ZREM', c.base .. 'q', i.id)
  i.st = 'ESCALATED'
  i.el = tostring(level)
  i.ec = tostring(tonumber(i.ec or '0') + 1)
  if level <= 2 then set_timer(c, i, due_after(c, deadlines[level])) else set_timer(c, i, nil) end
  history(c, i, 'ESCALATED', 'desk', '', '', cause, level)
  event(c, 'ESCALATED', i, '')
end

-- What a retry of a call on an inquiry gets: the inquiry as it is now. A replay keeps no copy of
-- it (its text would outlive an erasure there), only its id: a submission's retry comes with a new
-- id, so the stored one names the inquiry. (A replay from before kept the whole JSON: its id is
-- used.)
local function current(base, stored)
  local id = stored:sub(1, 1) == '{' and cjson.decode(stored).id or stored
  local i = read_hash(base .. 'i:' .. id)
  if not i then return fail('NOT_FOUND', 'inquiry ' .. id) end
  return cjson.encode(i)
end

-- The preamble of every mutating call on one inquiry (KEYS: base, inquiry, replay; ARGV: maxlen,
-- id, fingerprint, replay_ttl, ...): the context and the inquiry, or a reply to return at once
-- (a retry's: the inquiry as it is now; or NOT_FOUND).
local function open(k, a)
  local c = ctx(k, a)
  local stored = replay_get(k, a)
  if stored then return nil, nil, current(k.base, stored) end
  local i = read_hash(k.inquiry)
  if not i then return nil, nil, fail('NOT_FOUND', 'inquiry ' .. a.id) end
  -- A coordinator acts for the network it coordinates (ARGV net): not once the inquiry has moved
  -- on to another network, checked here in the same step as the change.
  local net = rawget(a, 'net')  -- passed by refer and resolve only
  if net and net ~= '' and i.net ~= net then
    return nil, nil, fail('FAILED_PRECONDITION', 'MOVED_ON the inquiry has moved on to ' ..
                          'network ' .. i.net .. '; its coordinators act on it now')
  end
  return c, i, nil
end

-- Frees whoever holds the inquiry now: the assignee's capacity, or every open offer; takes it
-- out of the queue.
local function let_go(c, i, actor, note)
  if i.st == 'ASSIGNED' then
    add_load(c, i.as, -1, i.id)
  elseif i.st == 'OFFERED' then
    release_offers(c, i, 'WITHDRAWN', actor, note, false)
  end
  redis.call('ZREM', c.base .. 'q', i.id)
end

local function reply(_, i, k, a)  -- (c, ...) like its neighbours
  replay_put(k, a, i.id)  -- a retry reads the inquiry as it is then (current)
  return cjson.encode(i)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, inquiry (JSON
-- object of its fields), contact (JSON object of the asker's contact fields), retention (of the
-- contact, s). The inquiry field `ak`, when given, is the asker's folded e-mail address: stored as
-- its SHA-1, it indexes the inquiry for the export and erasure of the asker's personal data.
local function dk_submit(keys, args)
  local k, a = named(keys, args)
  local c = ctx(k, a)
  local stored = replay_get(k, a)
  if stored then return current(c.base, stored) end
  local i = cjson.decode(a.inquiry)
  i.id = a.id
  local contact = {}
  for field, value in pairs(cjson.decode(a.contact)) do
    contact[#contact + 1] = field
    contact[#contact + 1] = value
  end
  local retention_s = tonumber(a.retention)
  if redis.call('EXISTS', k.inquiry) == 1 then return fail('ALREADY_EXISTS', 'inquiry ' .. i.id) end
  i.st = 'ROUTING'
  i.at, i.el, i.rf, i.ec, i.ot, i.od, i.cr = '0', '0', '0', '0', '', '0', tostring(c.now)
  i.nc = i.net
  if (i.kt or '') ~= '' then
    i.kt, i.kb = tostring(c.now), a.actor
  end
  if #contact > 0 then
    redis.call('HSET', c.base .. 'c:' .. i.id, unpack(contact))
    redis.call('EXPIRE', c.base .. 'c:' .. i.id, retention_s)
  end
  if (i.ak or '') ~= '' then
    i.ak = redis.sha1hex(i.ak)
    redis.call('SADD', c.base .. 'ae:' .. i.ak, i.id)
    redis.call('EXPIRE', c.base .. 'ae:' .. i.ak, retention_s)
  end
  save(c, i)
  redis.call('ZADD', c.base .. 'in:' .. i.net, c.now, i.id)
  redis.call('ZADD', c.base .. 'ie:' .. i.eo, c.now, i.id)
  history(c, i, 'SUBMITTED', a.actor, '', i.eo, '', 0)
  event(c, 'SUBMITTED', i, '')
  set_timer(c, i, due_after(c, ROUTING_RETRY_MS))
  dispatch(c, i.id)
  return reply(c, i, k, a)
end

-- The dispatcher's decision. KEYS: base, inquiry. ARGV: maxlen, id, version (seen), action, and
--   for offer:    deadline (ms), responders (space-separated; each must be online with spare
--                 capacity)
--   for queue:    wait (ms)
--   for escalate: cause, escalation, level2 (ms), suggest (networks that cover it,
--                 space-separated, best first)
-- Returns 'STALE' when the inquiry or a responder changed since the dispatcher looked: it looks
-- again. Returns the inquiry as JSON otherwise.
local function dk_route(keys, args)
  local k, a = named(keys, args)
  local c = ctx(k, a)
  local i = read_hash(k.inquiry)
  if not i then return 'GONE' end
  if i.v ~= a.version or (i.st ~= 'ROUTING' and i.st ~= 'QUEUED') then return 'STALE' end
  local action = a.action
  if action == 'offer' then
    local deadline = tonumber(a.deadline)
    local responders = {}
    for r in string.gmatch(a.responders, '%S+') do
      local on = redis.call('HGET', c.base .. 'on', r)
      local ld = tonumber(redis.call('HGET', c.base .. 'ld', r) or '0')
      local cap = tonumber(redis.call('HGET', c.base .. 'cap', r) or '0')
      if on ~= '1' or ld >= cap or
         redis.call('SISMEMBER', c.base .. 'x:' .. i.id, r) == 1 then
        return 'STALE'
      end
      responders[#responders + 1] = r
    end
    redis.call('ZREM', c.base .. 'q', i.id)
    i.st = 'OFFERED'
    i.ot = table.concat(responders, ',')
    i.od = int_text(deadline)
    if (i.fd or '') == '' then i.fd = i.od end
    i.at = tostring(tonumber(i.at) + 1)
    for _, r in ipairs(responders) do
      add_load(c, r, 1, i.id)
      redis.call('HSET', c.base .. 'lo', r, c.now)
      history(c, i, 'OFFERED', 'desk', r, '', '', 0)
      event(c, 'OFFERED', i, r)
    end
    set_timer(c, i, deadline)
  elseif action == 'queue' then
    if i.st ~= 'QUEUED' then
      i.st = 'QUEUED'
      redis.call('ZADD', c.base .. 'q', tonumber(i.cr), i.id)
      set_timer(c, i, due_after(c, tonumber(a.wait)))
      history(c, i, 'QUEUED', 'desk', '', '', '', 0)
      event(c, 'QUEUED', i, '')
    else
      return 'UNCHANGED'
    end
  elseif action == 'escalate' then
    i.sn = table.concat(split(string.gsub(a.suggest, ' ', ',')), ',')
    escalate(c, i, 1, a.cause, {tonumber(a.escalation), tonumber(a.level2)})
  end
  save(c, i)
  return cjson.encode(i)
end

local function offered_to(i, responder)
  return i.st == 'OFFERED' and contains(i.ot, responder)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, responder, actor.
local function dk_accept(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  local r = a.responder
  if i.st == 'ASSIGNED' and i.as == r then return reply(c, i, k, a) end
  if not offered_to(i, r) then
    return fail('FAILED_PRECONDITION', 'NOT_OFFERED the inquiry is not offered to this responder')
  end
  if tonumber(i.od) < c.now then
    return fail('FAILED_PRECONDITION', 'OFFER_EXPIRED the offer passed its deadline')
  end
  local deadline = tonumber(i.od)
  local others = {}
  for _, o in ipairs(split(i.ot)) do if o ~= r then others[#others + 1] = o end end
  i.ot = table.concat(others, ',')
  release_offers(c, i, 'WITHDRAWN', 'desk', 'another responder accepted', false)
  -- Listed by when it was offered: accepting it does not move it ahead of a responder's cursor
  -- (a list paged newest first skipped what was accepted between pages).
  redis.call('ZADD', c.base .. 'ra:' .. r, 'NX', c.now, i.id)
  i.st = 'ASSIGNED'
  i.as = r
  if (i.fa or '') == '' then
    i.fa = tostring(c.now)
    -- Against the first offer's deadline: an offer that lapsed before someone took it up counts
    -- as late, however quickly a later offer was accepted.
    i.ai = (c.now <= tonumber(i.fd or deadline)) and '1' or '0'
  end
  set_timer(c, i, nil)
  history(c, i, 'ACCEPTED', a.actor, r, '', '', 0)
  event(c, 'ACCEPTED', i, r)
  save(c, i)
  drain(c)
  return reply(c, i, k, a)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, responder, actor,
-- reason, code (DeclineReason number).
local function dk_decline(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  local r = a.responder
  if not offered_to(i, r) then
    return fail('FAILED_PRECONDITION', 'NOT_OFFERED the inquiry is not offered to this responder')
  end
  local rest = {}
  for _, o in ipairs(split(i.ot)) do if o ~= r then rest[#rest + 1] = o end end
  add_load(c, r, -1, i.id)
  redis.call('SADD', c.base .. 'x:' .. i.id, r)
  history(c, i, 'DECLINED', a.actor, r, '', a.reason, 0, {c = tonumber(a.code)})
  event(c, 'DECLINED', i, r)
  i.ot = table.concat(rest, ',')
  if #rest == 0 then
    i.od = '0'
    to_routing(c, i)
  end
  save(c, i)
  drain(c)
  return reply(c, i, k, a)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, by (the acting
-- responder, '' = coordinator or admin), holder_org (the acting responder's organisation, ''
-- otherwise), to_org, to_responder (the target; both '' = the target network's desk as a whole),
-- to_responder_org (the target responder's organisation), to_net (the network that handles it
-- next), note. A referral back to an organisation already in the chain is a loop, whichever of
-- its responders it names; so is one to a whole network it was handled by. Another network needs
-- the asker's consent to share (ks).
local function dk_refer(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  local actor, by, holder_org, to_org, to_resp = a.actor, a.by, a.holder_org, a.to_org,
                                                 a.to_responder
  if by ~= '' then
    if i.st ~= 'ASSIGNED' or i.as ~= by then
      return fail('FAILED_PRECONDITION', 'NOT_ASSIGNED only the assignee refers an inquiry')
    end
  elseif i.st == 'RESOLVED' then
    return fail('FAILED_PRECONDITION', 'RESOLVED the inquiry is resolved')
  end
  local to_net = a.to_net ~= '' and a.to_net or i.net
  local across = to_net ~= i.net
  if across and i.ks ~= '1' then
    return fail('FAILED_PRECONDITION', 'CONSENT_REQUIRED the asker has not agreed that the ' ..
                'inquiry goes to another network (RecordConsent share_across_networks)')
  end
  if to_org == '' and to_resp == '' and contains(i.nc or i.net, to_net) then
    return fail('FAILED_PRECONDITION', 'REFERRAL_LOOP the inquiry was already handled by ' ..
                'network ' .. to_net)
  end
  -- Whoever holds it now joins the chain: the assignee referring it, or the one a coordinator
  -- takes it from.
  local holder = by
  if holder == '' and i.st == 'ASSIGNED' and (i.as or '') ~= '' then
    holder = i.as
    holder_org = redis.call('HGET', c.base .. 'r:' .. holder, 'org') or ''
  end
  local chain = i.ch or ''
  if holder ~= '' and chain == '' then chain = 'o:' .. holder_org .. ',r:' .. holder
  elseif holder ~= '' then
    if not contains(chain, 'r:' .. holder) then chain = chain .. ',r:' .. holder end
    if holder_org ~= '' and not contains(chain, 'o:' .. holder_org) then
      chain = chain .. ',o:' .. holder_org
    end
  end
  for _, org in ipairs({to_org, a.to_responder_org}) do
    if org ~= '' and contains(chain, 'o:' .. org) then
      return fail('FAILED_PRECONDITION', 'REFERRAL_LOOP the inquiry was already referred from ' ..
                  'or to organisation ' .. org)
    end
  end
  if to_resp ~= '' and contains(chain, 'r:' .. to_resp) then
    return fail('FAILED_PRECONDITION', 'REFERRAL_LOOP the inquiry was already referred from or ' ..
                'to responder ' .. to_resp)
  end
  if to_org ~= '' then chain = (chain == '' and '' or chain .. ',') .. 'o:' .. to_org end
  if to_resp ~= '' then
    chain = (chain == '' and '' or chain .. ',') .. 'r:' .. to_resp
    if a.to_responder_org ~= '' then chain = chain .. ',o:' .. a.to_responder_org end
  end
  let_go(c, i, actor, 'referred')
  i.ch = chain
  i.tor, i.trs, i.as, i.sn = to_org, to_resp, '', ''
  i.at, i.el = '0', '0'
  i.rf = tostring(tonumber(i.rf or '0') + 1)
  if across then
    local step = i.id .. ':' .. i.rf
    redis.call('ZADD', c.base .. 'xs:' .. i.net, c.now, step)
    redis.call('ZADD', c.base .. 'xr:' .. to_net, c.now, step)
    redis.call('ZADD', c.base .. 'in:' .. to_net, 'NX', c.now, i.id)
    i.nc = (i.nc or i.net) .. ',' .. to_net
    i.net = to_net
  end
  -- The target organisation: the one named, or the named responder's.
  local target_org = to_org ~= '' and to_org or (a.to_responder_org or '')
  history(c, i, 'REFERRED', actor, to_resp, target_org, a.note, 0, {w = across and to_net or ''})
  -- Names whoever held it: a coordinator taking it from its assignee tells the assignee too
  -- (StreamAssignments), not only an assignee referring it on.
  event(c, 'REFERRED', i, holder)
  to_routing(c, i)
  save(c, i)
  drain(c)
  return reply(c, i, k, a)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, by (the acting
-- responder, '' = coordinator, admin or the entry partner), net (see open), returned ('1': the
-- entry partner answers a question back with it at level 3), outcome, booking, note, follow_up
-- (ms after which the asker, if they agreed, is asked whether the help started).
local function dk_resolve(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  local by = a.by
  if i.st == 'RESOLVED' then
    return fail('FAILED_PRECONDITION', 'RESOLVED the inquiry is resolved already')
  end
  if by ~= '' and (i.st ~= 'ASSIGNED' or i.as ~= by) then
    return fail('FAILED_PRECONDITION', 'NOT_ASSIGNED only the assignee resolves an inquiry')
  end
  -- The entry partner answers a question that came back to it only while it is back: not once
  -- a coordinator referred it on and a partner took it up in between.
  if a.returned == '1' and not (i.st == 'ESCALATED' and tonumber(i.el or '0') >= 3) then
    return fail('FAILED_PRECONDITION', 'MOVED_ON the inquiry was taken up again; whoever ' ..
                'holds it now resolves it')
  end
  let_go(c, i, a.actor, 'resolved')
  set_timer(c, i, nil)
  i.st = 'RESOLVED'
  i.oc, i.bk, i.rn, i.rv = a.outcome, a.booking, a.note, tostring(c.now)
  -- Only an outcome that arranged help (not withdrawn, not "no match") is followed up.
  local outcome = tonumber(a.outcome)
  if i.kf == '1' and outcome >= 1 and outcome <= 5 then
    i.fu = 'SCHEDULED'
    i.fd2 = int_text(due_after(c, tonumber(a.follow_up)))
    set_timer(c, i, tonumber(i.fd2))
  end
  history(c, i, 'RESOLVED', a.actor, by, '', a.note, 0)
  event(c, 'RESOLVED', i, i.as or '')
  save(c, i)
  drain(c)
  return reply(c, i, k, a)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, score,
-- recommend, again ('1'/'0' both), comment.
local function dk_feedback(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  if i.st ~= 'RESOLVED' then
    return fail('FAILED_PRECONDITION',
                'NOT_RESOLVED feedback is recorded once the inquiry is resolved')
  end
  if (i.fs or '') ~= '' then
    return fail('FAILED_PRECONDITION', 'FEEDBACK_RECORDED feedback was recorded already')
  end
  i.fs, i.fr, i.fw, i.fc, i.ft = a.score, a.recommend, a.again, a.comment, tostring(c.now)
  history(c, i, 'FEEDBACK', a.actor, '', '', '', 0)
  event(c, 'FEEDBACK', i, '')
  save(c, i)
  return reply(c, i, k, a)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, texts ('1' to
-- blank the inquiry text, feedback comment and follow-up note too). Returns the inquiry as JSON.
-- Blanks the notes of the inquiry's history entries of `kind` (the entries themselves stay).
local function blank_notes(c, i, kind)
  local h = c.base .. 'h:' .. i.id
  for n, raw in ipairs(redis.call('LRANGE', h, 0, -1)) do
    local entry = cjson.decode(raw)
    if entry.k == kind and (entry.n or '') ~= '' then
      entry.n = ''
      redis.call('LSET', h, n - 1, cjson.encode(entry))
    end
  end
end

local function dk_erase(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  redis.call('DEL', c.base .. 'c:' .. i.id)
  -- The consent is the asker's personal data too; without a contact nobody can be asked.
  local consent = (i.kt or '') ~= ''
  if consent then
    i.ks, i.kf, i.kh, i.kt, i.kb = '0', '0', '', '', ''
    -- What the asker agreed to goes from the history too (that a consent was recorded stays).
    blank_notes(c, i, 'CONSENT')
    if i.fu == 'SCHEDULED' or i.fu == 'DUE' then
      i.fu = ''
      set_timer(c, i, nil)
    end
  end
  -- The address index keeps the inquiry while its texts are held: they can be erased later.
  if a.texts == '1' and (i.ak or '') ~= '' then
    redis.call('SREM', c.base .. 'ae:' .. i.ak, i.id)
  end
  local texts = a.texts == '1' and
                  ((i.tx or '') ~= '' or (i.fc or '') ~= '' or (i.fn or '') ~= '')
  if i.er ~= '1' or texts or consent then
    i.er = '1'
    if texts then
      i.tx, i.fc, i.fn = '', '', ''
      blank_notes(c, i, 'FOLLOW_UP_RECORDED')  -- the note written about the asker with them
    end
    history(c, i, 'ERASED', a.actor, '', '', texts and 'texts' or '', 0)
    save(c, i)
  end
  return reply(c, i, k, a)
end

-- The inquiries whose asker has this e-mail address and of which the asker's contact or texts are
-- still held. KEYS: base. ARGV: email (folded). Drops members with nothing of the asker left.
local function dk_asker_inquiries(keys, args)
  local k, a = named(keys, args)
  local by_email = k.base .. 'ae:' .. redis.sha1hex(a.email)
  local found = {}
  for _, id in ipairs(redis.call('SMEMBERS', by_email)) do
    local texts = redis.call('HMGET', k.base .. 'i:' .. id, 'tx', 'fc', 'fn')
    local held = redis.call('EXISTS', k.base .. 'c:' .. id) == 1 or (texts[1] or '') ~= '' or
                 (texts[2] or '') ~= '' or (texts[3] or '') ~= ''
    if held then
      found[#found + 1] = id
    else
      redis.call('SREM', by_email, id)
    end
  end
  table.sort(found)
  return found
end

-- One page of an inquiry index (a sorted set by time: in:, ie:, ra:, esc newest first; the queue q
-- oldest first) after the entry (after_score, after_id) ('' = from the start): entries of that
-- time further on in byte order, then the times beyond. A page resumes where the last one ended
-- however many inquiries came in or left since (an offset would repeat or skip them).
-- KEYS: index. ARGV: after_score, after_id, limit, newest ('1': newest first).
-- Returns {more, {id, score, id, score, ...}}.
local function dk_page(keys, args)
  local k, a = named(keys, args)
  local limit, resuming, newest = tonumber(a.limit), a.after_id ~= '', a.newest == '1'
  local after_score = resuming and tonumber(a.after_score) or nil
  local out, offset = {}, 0
  while true do
    local chunk
    if newest then
      chunk = redis.call('ZREVRANGEBYSCORE', k.index, resuming and a.after_score or '+inf',
                         '-inf', 'WITHSCORES', 'LIMIT', offset, 500)
    else
      chunk = redis.call('ZRANGEBYSCORE', k.index, resuming and a.after_score or '-inf', '+inf',
                         'WITHSCORES', 'LIMIT', offset, 500)
    end
    for i = 1, #chunk, 2 do
      local id, score = chunk[i], chunk[i + 1]
      -- Of the entries at the cursor's time, those up to its id (in the page's order) came on
      -- earlier pages.
      local given = resuming and tonumber(score) == after_score and
                    bytes_le(newest and a.after_id or id, newest and id or a.after_id)
      if not given then
        if #out == 2 * limit then return {1, out} end
        out[#out + 1] = id
        out[#out + 1] = score
      end
    end
    if #chunk < 1000 then return {0, out} end
    offset = offset + 500
  end
end

-- Applies due deadlines. KEYS: base. ARGV: maxlen, limit, escalation, level2 (ms). An offer not
-- accepted in time goes back to routing (never to the responder who let it pass), a queue wait
-- that ran out escalates to the coordinators, a level-1 escalation nobody picked up goes to
-- platform admins, a level-2 one back to the entry partner (level 3); a scheduled follow-up
-- becomes due. Returns how many it applied.
local function dk_due(keys, args)
  local k, a = named(keys, args)
  local c = ctx(k, a)
  local deadlines = {tonumber(a.escalation), tonumber(a.level2)}
  local ids = redis.call('ZRANGEBYSCORE', c.base .. 'tm', '-inf', c.now,
                         'LIMIT', 0, tonumber(a.limit))
  for _, id in ipairs(ids) do
    redis.call('ZREM', c.base .. 'tm', id)
    local i = load(c, id)
    if i then
      if i.st == 'OFFERED' then
        release_offers(c, i, 'TIMED_OUT', 'desk', '', true)
        to_routing(c, i)
        save(c, i)
        drain(c)
      elseif i.st == 'ROUTING' then  -- its dispatch was lost, or has not been done in time
        set_timer(c, i, due_after(c, ROUTING_RETRY_MS))
        dispatch(c, i.id)
      elseif i.st == 'QUEUED' then
        escalate(c, i, 1, 'no responder had capacity in time', deadlines)
        save(c, i)
      elseif i.st == 'ESCALATED' and i.el == '1' then
        escalate(c, i, 2, 'the coordinators did not act in time', deadlines)
        save(c, i)
      elseif i.st == 'ESCALATED' and i.el == '2' then
        escalate(c, i, 3, 'nobody took it up in time: back to the entry partner to answer the ' ..
                 'asker', deadlines)
        save(c, i)
      elseif i.st == 'RESOLVED' and i.fu == 'SCHEDULED' then
        if i.kf == '1' then
          i.fu = 'DUE'
          history(c, i, 'FOLLOW_UP_DUE', 'desk', '', '', '', 0)
          event(c, 'FOLLOW_UP_DUE', i, '')
        else
          i.fu = ''
        end
        save(c, i)
      end
    end
  end
  return #ids
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, share, follow
-- ('1'/'0'), how. Records the asker's consent (replacing an earlier record); withdrawing the
-- follow-up consent cancels a follow-up not yet answered.
local function dk_consent(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  if i.er == '1' then
    return fail('FAILED_PRECONDITION', 'ERASED the asker\'s personal data was erased')
  end
  i.ks, i.kf, i.kh, i.kt, i.kb = a.share, a.follow, a.how, tostring(c.now), a.actor
  if i.kf ~= '1' and (i.fu == 'SCHEDULED' or i.fu == 'DUE') then
    i.fu = ''
    if i.st == 'RESOLVED' then set_timer(c, i, nil) end
  end
  history(c, i, 'CONSENT', a.actor, '', '', 'share ' .. a.share .. ', follow-up ' .. a.follow, 0)
  event(c, 'CONSENT', i, '')
  save(c, i)
  return reply(c, i, k, a)
end

-- KEYS: base, inquiry, replay. ARGV: maxlen, id, fingerprint, replay_ttl, actor, started ('1'/'0'),
-- note. The asker's answer to the follow-up (scheduled or due).
local function dk_follow_up(keys, args)
  local k, a = named(keys, args)
  local c, i, early = open(k, a)
  if early then return early end
  if i.fu == 'ANSWERED' then
    return fail('FAILED_PRECONDITION',
                'FOLLOW_UP_RECORDED the asker\'s answer was recorded already')
  end
  if i.st ~= 'RESOLVED' or (i.fu ~= 'SCHEDULED' and i.fu ~= 'DUE') then
    return fail('FAILED_PRECONDITION', 'NO_FOLLOW_UP no follow-up is open: it comes after ' ..
                'resolution with an outcome that arranged help, when the asker agreed to it')
  end
  if i.fu == 'SCHEDULED' then set_timer(c, i, nil) end
  i.fu, i.fh, i.fn, i.fa2 = 'ANSWERED', a.started, a.note, tostring(c.now)
  history(c, i, 'FOLLOW_UP_RECORDED', a.actor, '', '', a.note, 0)
  event(c, 'FOLLOW_UP_RECORDED', i, '')
  save(c, i)
  return reply(c, i, k, a)
end

-- Responders. KEYS: base, responder (<d>r:<id>), replay.
-- ARGV: id, profile, org, token, capacity, etag ('' = create), online ('1'/'0'/'' = keep),
-- fingerprint, replay_ttl. Returns {v, ld, on, id}: a retry answers with the id it made (C++
-- then reads that responder as it is).
local function dk_responder_put(keys, args)
  local k, a = named(keys, args)
  local base, id, key = k.base, a.id, k.responder
  local replayed = replay_get(k, a)
  if replayed then return cjson.decode(replayed) end
  local exists = redis.call('EXISTS', key) == 1
  if a.etag == '' and exists then return fail('ALREADY_EXISTS', 'responder ' .. id) end
  if a.etag ~= '' then
    if not exists then return fail('NOT_FOUND', 'responder ' .. id) end
    if redis.call('HGET', key, 'v') ~= a.etag then return fail('ABORTED', 'responder ' .. id) end
    local old_org = redis.call('HGET', key, 'org')
    redis.call('SREM', base .. 'ro:' .. old_org, id)
  end
  local v = redis.call('HINCRBY', key, 'v', 1)
  redis.call('HSET', key, 'p', a.profile, 'org', a.org, 'tok', a.token)
  redis.call('HSET', base .. 'cap', id, a.capacity)
  if a.online ~= '' then redis.call('HSET', base .. 'on', id, a.online) end
  redis.call('HSETNX', base .. 'on', id, '0')
  redis.call('HSETNX', base .. 'ld', id, 0)
  redis.call('HSETNX', base .. 'lo', id, 0)
  redis.call('SADD', base .. 'rs', id)
  redis.call('SADD', base .. 'ro:' .. a.org, id)
  redis.call('INCR', base .. 'm')
  local c = {base = base, now = now_ms(), maxlen = 1000}
  drain(c)
  local result = {v, tonumber(redis.call('HGET', base .. 'ld', id)),
                  redis.call('HGET', base .. 'on', id), id}
  replay_put(k, a, cjson.encode(result))
  return result
end

-- KEYS: base. Asks for a drain while inquiries are queued, as freed capacity does: for the
-- dispatcher's look now and then, since time frees responders too (an absence ends).
local function dk_request_drain(keys, args)
  local k = named(keys, args)
  drain({base = k.base, now = now_ms(), maxlen = 1000})
  return 1
end

-- KEYS: base, responder. ARGV: id, online ('1'/'0'). Returns {v, ld, on}.
local function dk_responder_online(keys, args)
  local k, a = named(keys, args)
  local base, id, key = k.base, a.id, k.responder
  if redis.call('EXISTS', key) == 0 then return fail('NOT_FOUND', 'responder ' .. id) end
  redis.call('HSET', base .. 'on', id, a.online)
  local v = redis.call('HINCRBY', key, 'v', 1)
  if a.online == '1' then drain({base = base, now = now_ms(), maxlen = 1000}) end
  return {v, tonumber(redis.call('HGET', base .. 'ld', id)), a.online}
end

-- KEYS: base, responder, replay. ARGV: id, org (the organisation whose admin asks: another's
-- responder is not found), fingerprint, replay_ttl. Refused while the responder has inquiries
-- offered or assigned.
local function dk_responder_delete(keys, args)
  local k, a = named(keys, args)
  local base, id, key = k.base, a.id, k.responder
  if replay_get(k, a) then return 1 end  -- a retry of a deletion that went through
  local org = redis.call('HGET', key, 'org')
  -- Only the organisation whose admin was checked (a.org): another's responder is not found.
  if not org or org ~= a.org then return fail('NOT_FOUND', 'responder ' .. id) end
  if tonumber(redis.call('HGET', base .. 'ld', id) or '0') > 0 then
    return fail('FAILED_PRECONDITION', 'RESPONDER_BUSY the responder has open inquiries; ' ..
                'resolve or refer them first, or set it offline')
  end
  redis.call('DEL', key, base .. 'ra:' .. id)
  for _, h in ipairs({'cap', 'on', 'ld', 'lo'}) do redis.call('HDEL', base .. h, id) end
  redis.call('SREM', base .. 'rs', id)
  redis.call('SREM', base .. 'ro:' .. org, id)
  redis.call('INCR', base .. 'm')
  replay_put(k, a, '1')
  return 1
end

register('dk_submit', dk_submit)
register('dk_request_drain', dk_request_drain)
register('dk_route', dk_route)
register('dk_accept', dk_accept)
register('dk_decline', dk_decline)
register('dk_refer', dk_refer)
register('dk_resolve', dk_resolve)
register('dk_feedback', dk_feedback)
register('dk_erase', dk_erase)
register('dk_consent', dk_consent)
register('dk_follow_up', dk_follow_up)
register('dk_asker_inquiries', dk_asker_inquiries)
register('dk_page', dk_page, {'no-writes'})
register('dk_due', dk_due)
register('dk_responder_put', dk_responder_put)
register('dk_responder_online', dk_responder_online)
register('dk_responder_delete', dk_responder_delete)
