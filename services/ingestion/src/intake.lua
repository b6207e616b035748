-- Atomic, idempotent hand-off of a chunk of readings to the streams.
-- KEYS[1] received stream (live lane), KEYS[2] rejected stream, KEYS[3] received
-- stream's backfill lane, KEYS[3+i] idempotency key of accepted reading i.
-- ARGV[1] MAXLEN, ARGV[2] idempotency TTL (s), ARGV[3] n accepted, then per accepted
-- reading: envelope JSON, raw input ('' = none), lane ('b' = backfill, else live); then
-- one envelope JSON per rejected reading. Returns 1 (appended) or 0 (duplicate) per
-- accepted reading. The field names 'e' and 'r' are the bus's envelope field and
-- ingestion's raw field.
local maxlen, ttl, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
for i = 1, n do
  local json, raw, lane = ARGV[1 + 3 * i], ARGV[2 + 3 * i], ARGV[3 + 3 * i]
  local stream = KEYS[1]
  if lane == 'b' then
    stream = KEYS[3]
  end
  if redis.call('SET', KEYS[3 + i], '1', 'NX', 'EX', ttl) then
    if raw == '' then
      redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', json)
    else
      redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', json, 'r', raw)
    end
    out[i] = 1
  else
    out[i] = 0
  end
end
for j = 4 + 3 * n, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[j])
end
return out
