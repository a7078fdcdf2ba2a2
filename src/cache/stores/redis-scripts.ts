/**
 * Lua scripts: each runs atomically inside Redis. Every key a script touches shares the
 * scope's hash tag `{h<id>}`, so on Redis Cluster they all live in one slot; keys read from
 * the index sets are in that slot too.
 *
 * Indexes are sorted sets scored by the expiry time (Redis' own clock, `TIME`) of the response
 * they point to: entries past their expiry are trimmed on every write, and each index key
 * expires with its longest-lived member, so nothing grows forever.
 */

// Shared by the scripts that touch write intents: the clock, and closing one intent while
// keeping the scope's earliest open deadline in a plain string key that MGET can read.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
const CLOSE_INTENT = `
local function close_intent(intents, earliest, id)
  if id ~= '' then redis.call('ZREM', intents, id) end
  local first = redis.call('ZRANGE', intents, 0, 0, 'WITHSCORES')
  if first[2] then redis.call('SET', earliest, first[2], 'PX', 86400000) else redis.call('DEL', earliest) end
end
`;

// KEYS: 1 epoch, 2 response, 3 all-index, 4 earliest intent deadline, then pairs (tag set,
// type index). ARGV: 1 fence, 2 ttl ms, 3 value. Refused (0) when the fence moved or a write
// intent expired unconfirmed (the scope waits for a purge).
export const STORE_SCRIPT = `
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
${NOW}
local abandoned = redis.call('GET', KEYS[4])
if abandoned and tonumber(abandoned) <= now then return 0 end
local ttl = tonumber(ARGV[2])
local expires = now + ttl
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
local function add(index, member)
  redis.call('ZADD', index, expires, member)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end
add(KEYS[3], KEYS[2])
for i = 5, #KEYS, 2 do
  add(KEYS[i], KEYS[2])
  add(KEYS[i + 1], KEYS[i])
end
return 1
`;

// KEYS: 1 epoch, 2 all-index, 3 write intents, 4 earliest intent deadline, 5.. tag sets.
// ARGV: 1 the intent this invalidation confirms ('' for none). Returns responses removed.
export const INVALIDATE_SCRIPT = `
${CLOSE_INTENT}
redis.call('INCR', KEYS[1])
local removed = 0
for i = 5, #KEYS do
  for _, key in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    removed = removed + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], key)
  end
  redis.call('DEL', KEYS[i])
end
close_intent(KEYS[3], KEYS[4], ARGV[1])
return removed
`;

// KEYS: 1 epoch, 2 all-index, 3 type index. Touches only the tag sets of that type.
export const INVALIDATE_TYPE_SCRIPT = `
redis.call('INCR', KEYS[1])
local removed = 0
for _, tagSet in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  for _, key in ipairs(redis.call('ZRANGE', tagSet, 0, -1)) do
    removed = removed + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], key)
  end
  redis.call('DEL', tagSet)
end
redis.call('DEL', KEYS[3])
return removed
`;

// KEYS: 1 epoch, 2 all-index, 3 write intents, 4 earliest intent deadline. ARGV: 1 the intent
// this purge confirms ('' for none). Also closes every expired intent: this purge covers the
// writes they announced, which committed (if at all) before their deadline.
export const PURGE_SCRIPT = `
${NOW}
${CLOSE_INTENT}
redis.call('INCR', KEYS[1])
local removed = 0
for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  removed = removed + redis.call('DEL', key)
end
redis.call('DEL', KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
close_intent(KEYS[3], KEYS[4], ARGV[1])
return removed
`;

// KEYS: 1 write intents, 2 earliest intent deadline. ARGV: 1 intent id, 2 ttl ms. Returns the
// deadline (Redis clock, ms).
export const BEGIN_WRITE_SCRIPT = `
${NOW}
local deadline = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], deadline, ARGV[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
redis.call('SET', KEYS[2], first[2], 'PX', 86400000)
return deadline
`;

// KEYS: 1 write intents, 2 earliest intent deadline. ARGV: 1 intent id.
export const RELEASE_WRITE_SCRIPT = `
${CLOSE_INTENT}
close_intent(KEYS[1], KEYS[2], ARGV[1])
return 1
`;

// KEYS: 1 all-index, 2 response. Returns 1 when the response was there.
export const EVICT_SCRIPT = `
redis.call('ZREM', KEYS[1], KEYS[2])
return redis.call('DEL', KEYS[2])
`;

// KEYS: 1 all-index. ARGV: 1 stale-copy window (ms). Fresh entries by Redis' clock (index
// scores are the physical expiry, which is the fresh expiry plus that window).
export const ENTRIES_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. (now + tonumber(ARGV[1])), '+inf')
`;
