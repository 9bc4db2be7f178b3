-- Rotation pools and requests: small records written with a version check, so two people editing
-- the same request cannot overwrite each other. All rotation keys share the hash tag {rot}:
--   <r> = <prefix>{rot}:
--   <r><kind>:<id>      hash   d (the record, protobuf bytes), v (version, the etag)
--   <index>             set    ids of a pool's requests / an organisation's pools
--   <r>plan:<id>        string a draft plan (protobuf bytes), written with a TTL by the server
--   <r>req:<org>:<id>   string replayed version of a mutating call

-- ARGV: key, data, expected etag ('' = create), index key, id, replay key, ttl, kind (for errors).
-- Returns the new version.
local function rot_put(_, args)
  local key, data, etag, index, id, kind = args[1], args[2], args[3], args[4], args[5], args[8]
  local replayed = replay_get(args[6])
  if replayed then return tonumber(replayed) end
  local current = redis.call('HGET', key, 'v')
  if etag == '' and current then return redis.error_reply('ALREADY_EXISTS ' .. kind .. ' ' .. id) end
  if etag ~= '' then
    if not current then return redis.error_reply('NOT_FOUND ' .. kind .. ' ' .. id) end
    if current ~= etag then return redis.error_reply('ABORTED ' .. kind .. ' ' .. id) end
  end
  local v = redis.call('HINCRBY', key, 'v', 1)
  redis.call('HSET', key, 'd', data)
  redis.call('SADD', index, id)
  replay_put(args[6], args[7], tostring(v))
  return v
end

redis.register_function('rot_put', rot_put)
