-- Atomic, idempotent hand-off of a chunk of readings to the streams.
-- KEYS[1] received stream (live lane), KEYS[2] rejected stream, KEYS[3] received
-- stream's backfill lane, then each unit's keys.
-- ARGV[1] MAXLEN, ARGV[2] idempotency TTL (s), ARGV[3] number of units; then per unit:
--   'k', n, then n x (envelope JSON, raw input or '', lane): readings with their own
--     idempotency key each (n keys, in order);
--   's', n, then n x (member, envelope JSON, raw input or '', lane): readings of one
--     batch, deduplicated as members of the batch's set (1 key);
-- lane 'b' = backfill, else live; then one envelope JSON per rejected reading.
-- Returns 1 (appended) or 0 (duplicate) per reading, in order. The field names 'e' and
-- 'r' are the bus's envelope field and ingestion's raw field.
local maxlen, ttl, units = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}

local function append(json, raw, lane)
  local stream = KEYS[1]
  if lane == 'b' then
    stream = KEYS[3]
  end
  if raw == '' then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', json)
  else
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', json, 'r', raw)
  end
end

local a, k = 4, 4
for _ = 1, units do
  local kind, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  if kind == 's' then
    local set = KEYS[k]
    k = k + 1
    local members = {}
    for i = 1, n do
      members[i] = ARGV[a + 4 * (i - 1)]
    end
    local seen = redis.call('SMISMEMBER', set, unpack(members))
    local new, fresh = {}, {}
    for i = 1, n do
      local m = members[i]
      -- `fresh`: the same reading twice in one call is appended once.
      if seen[i] == 0 and not fresh[m] then
        local at = a + 4 * (i - 1)
        append(ARGV[at + 1], ARGV[at + 2], ARGV[at + 3])
        fresh[m] = true
        new[#new + 1] = m
        out[#out + 1] = 1
      else
        out[#out + 1] = 0
      end
    end
    if #new > 0 then
      redis.call('SADD', set, unpack(new))
      redis.call('EXPIRE', set, ttl)
    end
    a = a + 4 * n
  else
    for _ = 1, n do
      if redis.call('SET', KEYS[k], '1', 'NX', 'EX', ttl) then
        append(ARGV[a], ARGV[a + 1], ARGV[a + 2])
        out[#out + 1] = 1
      else
        out[#out + 1] = 0
      end
      k = k + 1
      a = a + 3
    end
  end
end
for j = a, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 'e', ARGV[j])
end
return out
