import type { EntryInfo, EntryLabel, EntryPage, OperationCensus, Selection } from './store';

/**
 * The key explorer over Redis. Each stored answer has a description in its scope's hash
 * `{h<id>}:m` (field: the response's Redis key), written by the store script beside the answer
 * and removed with it (invalidation, purge, eviction, or its own expiry, trimmed with the
 * scope's index). Lookups never read it: the hit path pays nothing for the explorer.
 *
 * Cost per call: one Lua script over the scope's index of present answers `{h<id>}:a` (never a
 * scan of the keyspace, never another hospital's keys): O(E) HMGETs in Redis for E present
 * answers of that hospital, plus sorting the matches, and the `first` descriptions sent back.
 * Census is the same pass, sending one row per operation. Redis runs a script alone, so a
 * hospital with E = 10,000 answers holds it for a few ms per call.
 */

/** `<operationName>\n<storedAt>\n<freshUntil>\n<bytes>\n<variables>\n<tag>\n<tag>…` (JSON escapes newlines in variables). */
export function description(label: EntryLabel, storedAt: number, freshUntil: number, bytes: number, tags: readonly string[]): string {
  return [label.operationName, storedAt, freshUntil, bytes, label.variables, ...tags].join('\n');
}

export function parseDescription(key: string, text: string): EntryInfo {
  const [operationName, storedAt, freshUntil, bytes, variables, ...tags] = text.split('\n');
  return { key, operationName, storedAt: Number(storedAt), freshUntil: Number(freshUntil), bytes: Number(bytes), variables, tags };
}

// Shared by LIST and CENSUS: every fresh answer of the scope, in chunks (Lua's unpack has a
// limit). The index is scored by physical expiry (Redis' clock), which is the fresh expiry plus
// the stale-copy window ARGV[2]: stale copies (up to an hour of them) are skipped by the range,
// unread; the description's own freshUntil (the writer's clock) is checked against ARGV[1].
const EACH_FRESH = `
local t = redis.call('TIME')
local rnow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now = tonumber(ARGV[1])
local function each_fresh(visit)
  local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (rnow + tonumber(ARGV[2])), '+inf')
  for i = 1, #keys, 500 do
    local chunk = {}
    for j = i, math.min(i + 499, #keys) do chunk[#chunk + 1] = keys[j] end
    local descs = redis.call('HMGET', KEYS[2], unpack(chunk))
    for j = 1, #chunk do
      local d = descs[j]
      if d then
        local op, storedAt, freshUntil, bytes = string.match(d, '^([^\\n]*)\\n(%d+)\\n(%d+)\\n(%d+)')
        freshUntil = tonumber(freshUntil)
        if freshUntil and freshUntil > now then visit(chunk[j], d, op, tonumber(storedAt), tonumber(bytes)) end
      end
    end
  end
end
`;

// KEYS: 1 all-index, 2 descriptions. ARGV: 1 now, 2 stale-copy window, 3 '1' to filter by
// operation, 4 the operation, 5 first. Returns the match count, then (key, description) of the
// newest `first`.
const LIST_SCRIPT = `
${EACH_FRESH}
local found = {}
local times = {}
each_fresh(function(key, d, op, storedAt)
  if ARGV[3] ~= '1' or op == ARGV[4] then
    found[#found + 1] = { storedAt, key, d }
    times[#times + 1] = storedAt
  end
end)
-- Only the newest \`first\` are sorted with a comparator: the cut-off comes from sorting plain
-- numbers (no Lua call per comparison), which is most of the cost with thousands of answers.
local first = tonumber(ARGV[5])
local total = #found
if total > first then
  table.sort(times)
  local cut = times[#times - first + 1]
  local newest = {}
  for _, f in ipairs(found) do if f[1] >= cut then newest[#newest + 1] = f end end
  found = newest
end
table.sort(found, function(x, y) if x[1] ~= y[1] then return x[1] > y[1] end return x[2] < y[2] end)
local out = { total }
for i = 1, math.min(#found, tonumber(ARGV[5])) do
  out[#out + 1] = found[i][2]
  out[#out + 1] = found[i][3]
end
return out
`;

// KEYS: 1 all-index, 2 descriptions. ARGV: 1 now, 2 stale-copy window. Returns (operation,
// entries, bytes) triples.
const CENSUS_SCRIPT = `
${EACH_FRESH}
local by = {}
local order = {}
each_fresh(function(key, d, op, storedAt, bytes)
  if not by[op] then by[op] = { 0, 0 }; order[#order + 1] = op end
  by[op][1] = by[op][1] + 1
  by[op][2] = by[op][2] + bytes
end)
local out = {}
for _, op in ipairs(order) do
  out[#out + 1] = op
  out[#out + 1] = by[op][1]
  out[#out + 1] = by[op][2]
end
return out
`;

// What an invalidation or purge would remove now: distinct responses that exist. KEYS: for
// ARGV[1] 'all' the all-index; 'tags' the tag sets; 'type' the type index (its tag sets are read
// from it, as the invalidation does).
const COUNT_SCRIPT = `
local t = redis.call('TIME')
local rnow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] == 'all' then return redis.call('ZCOUNT', KEYS[1], '(' .. rnow, '+inf') end
local sets = KEYS
if ARGV[1] == 'type' then sets = redis.call('ZRANGE', KEYS[1], 0, -1) end
local seen = {}
local n = 0
for _, set in ipairs(sets) do
  for _, key in ipairs(redis.call('ZRANGE', set, 0, -1)) do
    if not seen[key] then
      seen[key] = true
      n = n + redis.call('EXISTS', key)
    end
  end
end
return n
`;

export interface ExplorerDeps {
  /** Runs a script (by SHA, loading it when Redis does not know it). */
  script<T>(source: string, keys: string[], args?: (string | number)[]): Promise<T>;
  /** One description (HGET). */
  hget(hash: string, field: string): Promise<string | null>;
  /** The scope's key prefix, `<prefix>{h<id>}:`. */
  k(scope: number): string;
  /** How long an expired answer is kept as a stale copy (the index's scores include it). */
  retainStaleMs: number;
  /** Bounds an explorer call: it answers or fails, never "empty" for a slow Redis. */
  bounded<T>(what: string, op: () => Promise<T>): Promise<T>;
}

export function createRedisExplorer(deps: ExplorerDeps) {
  const { k, script, bounded } = deps;
  const responsePrefix = (scope: number) => `${k(scope)}r:`;
  const shortKey = (scope: number, redisKey: string) => redisKey.slice(responsePrefix(scope).length);
  return {
    list: (scope: number, filter: { operationName?: string | null; first: number }): Promise<EntryPage> =>
      bounded('the listing of cached answers', async () => {
        const filtered = filter.operationName != null;
        const reply = await script<Array<number | string>>(LIST_SCRIPT, [`${k(scope)}a`, `${k(scope)}m`], [Date.now(), deps.retainStaleMs, filtered ? '1' : '0', filter.operationName ?? '', filter.first]);
        const entries: EntryInfo[] = [];
        for (let i = 1; i < reply.length; i += 2) {
          const key = String(reply[i]);
          entries.push(parseDescription(shortKey(scope, key), String(reply[i + 1])));
        }
        return { totalCount: Number(reply[0]), entries };
      }),

    describe: (scope: number, key: string): Promise<EntryInfo | null> =>
      bounded('the description of a cached answer', async () => {
        const text = await deps.hget(`${k(scope)}m`, `${responsePrefix(scope)}${key}`);
        if (text === null) return null;
        const info = parseDescription(key, text);
        return info.freshUntil > Date.now() ? info : null;
      }),

    census: (scope: number): Promise<OperationCensus[]> =>
      bounded('the census of cached answers', async () => {
        const reply = await script<Array<number | string>>(CENSUS_SCRIPT, [`${k(scope)}a`, `${k(scope)}m`], [Date.now(), deps.retainStaleMs]);
        const out: OperationCensus[] = [];
        for (let i = 0; i < reply.length; i += 3) out.push({ operationName: String(reply[i]), entries: Number(reply[i + 1]), bytes: Number(reply[i + 2]) });
        return out.sort((a, b) => a.operationName.localeCompare(b.operationName));
      }),

    count: (scope: number, selection: Selection): Promise<number> =>
      bounded('counting what an invalidation would remove', () => {
        if (selection.kind === 'all') return script<number>(COUNT_SCRIPT, [`${k(scope)}a`], ['all']);
        if (selection.kind === 'type') return script<number>(COUNT_SCRIPT, [`${k(scope)}y:${selection.typename}`], ['type']);
        return selection.tags.length === 0 ? Promise.resolve(0) : script<number>(COUNT_SCRIPT, selection.tags.map((tag) => `${k(scope)}t:${tag}`), ['tags']);
      }),
  };
}
