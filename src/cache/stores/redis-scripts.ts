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

// Per-tag versions: `v` is a sorted set of tag → the epoch of its last invalidation (a type
// invalidation records `type:<Type>`), `vf` the floor below which versions were forgotten (a
// purge sets it to its own epoch). A miss may be stored unless something it carries was
// invalidated after its fence was read: unrelated writes no longer refuse it. `v` is trimmed to
// its newest VERSIONS_KEPT entries; what is trimmed raises the floor, so trimming only ever
// refuses more.
const VERSIONS_KEPT = 10000;
const RECORD_VERSION = `
local function record_version(versions, epoch, member)
  redis.call('ZADD', versions, epoch, member)
end
local function trim_versions(versions, floor)
  local n = redis.call('ZCARD', versions)
  if n > ${2 * VERSIONS_KEPT} then
    local cut = redis.call('ZRANGE', versions, n - ${VERSIONS_KEPT} - 1, n - ${VERSIONS_KEPT} - 1, 'WITHSCORES')
    local s = tonumber(cut[2])
    redis.call('ZREMRANGEBYSCORE', versions, '-inf', s)
    if s > tonumber(redis.call('GET', floor) or '0') then redis.call('SET', floor, s) end
  end
end
`;

// KEYS: 1 epoch, 2 response, 3 all-index, 4 earliest intent deadline, 5 versions, 6 version
// floor, 7 descriptions, then pairs (tag set, type index). ARGV: 1 fence, 2 ttl ms, 3 value, 4 tag
// count n, 5 the answer's description (the explorer's, see redis-explore.ts), 6..5+n the tags,
// then the distinct types. Refused (0) when something the answer carries was invalidated since
// the fence was read, or a write intent expired unconfirmed (the scope waits for a purge).
export const STORE_SCRIPT = `
local fence = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current ~= fence then
  if tonumber(redis.call('GET', KEYS[6]) or '0') > fence then return 0 end
  local n = tonumber(ARGV[4])
  for i = 6, #ARGV do
    local member = ARGV[i]
    if i > 5 + n then member = 'type:' .. member end
    local v = redis.call('ZSCORE', KEYS[5], member)
    if v and tonumber(v) > fence then return 0 end
  end
end
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
-- The descriptions of answers that expired by themselves go with their index entries.
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do redis.call('HDEL', KEYS[7], gone) end
redis.call('HSET', KEYS[7], KEYS[2], ARGV[5])
if redis.call('PTTL', KEYS[7]) < ttl then redis.call('PEXPIRE', KEYS[7], ttl) end
add(KEYS[3], KEYS[2])
for i = 8, #KEYS, 2 do
  add(KEYS[i], KEYS[2])
  add(KEYS[i + 1], KEYS[i])
end
return 1
`;

// KEYS: 1 epoch, 2 all-index, 3 write intents, 4 earliest intent deadline, 5 versions, 6 version
// floor, 7 descriptions, 8.. tag sets. ARGV: 1 the intent this invalidation confirms ('' for
// none), 2.. the tags (in the order of their sets). Returns responses removed.
export const INVALIDATE_SCRIPT = `
${CLOSE_INTENT}
${RECORD_VERSION}
local epoch = redis.call('INCR', KEYS[1])
local removed = 0
for i = 8, #KEYS do
  for _, key in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    removed = removed + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], key)
    redis.call('HDEL', KEYS[7], key)
  end
  redis.call('DEL', KEYS[i])
  record_version(KEYS[5], epoch, ARGV[i - 6])
end
trim_versions(KEYS[5], KEYS[6])
close_intent(KEYS[3], KEYS[4], ARGV[1])
return removed
`;

// KEYS: 1 epoch, 2 all-index, 3 type index, 4 versions, 5 version floor, 6 descriptions. ARGV:
// 1 the type. Touches only the tag sets of that type.
export const INVALIDATE_TYPE_SCRIPT = `
${RECORD_VERSION}
local epoch = redis.call('INCR', KEYS[1])
local removed = 0
for _, tagSet in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  for _, key in ipairs(redis.call('ZRANGE', tagSet, 0, -1)) do
    removed = removed + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], key)
    redis.call('HDEL', KEYS[6], key)
  end
  redis.call('DEL', tagSet)
end
redis.call('DEL', KEYS[3])
record_version(KEYS[4], epoch, 'type:' .. ARGV[1])
trim_versions(KEYS[4], KEYS[5])
return removed
`;

// KEYS: 1 epoch, 2 all-index, 3 write intents, 4 earliest intent deadline, 5 versions, 6 version
// floor, 7 descriptions. ARGV: 1 the intent this purge confirms ('' for none). Also closes every expired intent:
// this purge covers the writes they announced, which committed (if at all) before their
// deadline. Every answer computed before it is refused (the floor), so the versions can go.
export const PURGE_SCRIPT = `
${NOW}
${CLOSE_INTENT}
local epoch = redis.call('INCR', KEYS[1])
local removed = 0
for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  removed = removed + redis.call('DEL', key)
end
redis.call('DEL', KEYS[2])
redis.call('DEL', KEYS[5])
redis.call('DEL', KEYS[7])
redis.call('SET', KEYS[6], epoch)
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

// KEYS: 1 all-index, 2 response, 3 descriptions. Returns 1 when the response was there.
export const EVICT_SCRIPT = `
redis.call('ZREM', KEYS[1], KEYS[2])
redis.call('HDEL', KEYS[3], KEYS[2])
return redis.call('DEL', KEYS[2])
`;

// KEYS: 1 all-index. ARGV: 1 stale-copy window (ms). Fresh entries by Redis' clock (index
// scores are the physical expiry, which is the fresh expiry plus that window).
export const ENTRIES_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. (now + tonumber(ARGV[1])), '+inf')
`;

// KEYS: 1 response, 2 epoch, 3 earliest intent deadline. ARGV: 1 header bytes. What a process
// needs to prove its local copy of a response is still the one Redis holds: the response's
// header (with its stamp), not its body.
export const HEAD_SCRIPT = `
return { redis.call('GETRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1), redis.call('GET', KEYS[2]) or '0', redis.call('GET', KEYS[3]) or '' }
`;

// KEYS: 1 lease. ARGV: 1 owner, 2 ms. Extends the lease only if this owner still holds it.
export const RENEW_LEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

// KEYS: 1 lease. ARGV: 1 owner. Deletes the lease only if this owner still holds it.
export const RELEASE_LEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
