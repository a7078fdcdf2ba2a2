/**
 * Lua scripts: each runs atomically inside Redis. Every key a script touches shares the
 * scope's hash tag `{h<id>}`, so on Redis Cluster they all live in one slot; keys read from
 * the index sets are in that slot too.
 *
 * Indexes are sorted sets scored by the expiry time (Redis' own clock, `TIME`) of the response
 * they point to: entries past their expiry are trimmed on every write, and each index key
 * expires with its longest-lived member, so nothing grows forever.
 */

// KEYS: 1 epoch, 2 response, 3 all-index, then pairs (tag set, type index).
// ARGV: 1 fence, 2 ttl ms, 3 value.
export const STORE_SCRIPT = `
local current = redis.call('GET', KEYS[1]) or '0'
if current ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local expires = now + ttl
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
local function add(index, member)
  redis.call('ZADD', index, expires, member)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end
add(KEYS[3], KEYS[2])
for i = 4, #KEYS, 2 do
  add(KEYS[i], KEYS[2])
  add(KEYS[i + 1], KEYS[i])
end
return 1
`;

// KEYS: 1 epoch, 2 all-index, 3.. tag sets. Returns responses removed.
export const INVALIDATE_SCRIPT = `
redis.call('INCR', KEYS[1])
local removed = 0
for i = 3, #KEYS do
  for _, key in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    removed = removed + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], key)
  end
  redis.call('DEL', KEYS[i])
end
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

// KEYS: 1 epoch, 2 all-index.
export const PURGE_SCRIPT = `
redis.call('INCR', KEYS[1])
local removed = 0
for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  removed = removed + redis.call('DEL', key)
end
redis.call('DEL', KEYS[2])
return removed
`;

// KEYS: 1 all-index. ARGV: 1 stale-copy window (ms). Fresh entries by Redis' clock (index
// scores are the physical expiry, which is the fresh expiry plus that window).
export const ENTRIES_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. (now + tonumber(ARGV[1])), '+inf')
`;
