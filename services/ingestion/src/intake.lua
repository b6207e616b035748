-- Atomic, idempotent hand-off of a chunk of readings to the streams.
-- KEYS[1] received stream, KEYS[2] rejected stream, KEYS[2+i] idempotency key of
-- accepted reading i. ARGV[1] MAXLEN, ARGV[2] idempotency TTL (s), ARGV[3] n accepted,
-- then per accepted reading: envelope JSON, raw input ('' = none); then one envelope
-- JSON per rejected reading. Returns 1 (appended) or 0 (duplicate) per accepted reading.
-- The field names 'e' and 'r' are the bus's envelope field and ingestion's raw field.
local maxlen, ttl, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
for i = 1, n do
  local json, raw = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  if redis.call('SET', KEYS[2 + i], '1', 'NX', 'EX', ttl) then
    if raw == '' then
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'e', json)
    else
      redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'e', json, 'r', raw)
    end
    out[i] = 1
  else
    out[i] = 0
  end
end
for j = 4 + 2 * n, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[j])
end
return out
