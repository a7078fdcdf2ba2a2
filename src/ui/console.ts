import { loadContractOperations } from '../contract/operations';
import type { Route } from '../http/router';
import { escapeHtml, htmlPage, jsonForHtml } from './static-file';

/**
 * The cache console's statistics query. The contract's CacheStats operation has no memory or
 * per-target fields, which the console shows, so it asks for the contract's fields plus those;
 * the two mutations are sent exactly as the contract writes them.
 */
export const CONSOLE_STATS_QUERY = `query CacheConsole {
  cacheStats {
    backend
    hits
    misses
    hitRate
    entries
    invalidations
    lastWarmAt
    memoryBytes
    targets {
      target
      lastWarmAt
      ageMs
      ok
      durationMs
      error
    }
  }
}`;

/** What "Invalidate type" offers: the entity types and the cached answers (cache.graphql). */
export const INVALIDATABLE_TYPES = [
  'Patient',
  'Ward',
  'Tag',
  'Admission',
  'ClinicalEvent',
  'DashboardStats',
  'RecentPatients',
  'WardMapping',
  'WardFilters',
] as const;

/** Shown before the first stats answer arrives; the answer's own rows replace them. */
export const WARM_TARGETS = ['DASHBOARD', 'WARD_MAPPING', 'WARD_FILTERS'] as const;

export interface ConsoleConfig {
  endpoint: string;
  refreshMs: number;
  operations: { stats: string; warm: string; invalidate: string };
  targets: readonly string[];
  typenames: readonly string[];
}

export function consoleConfig(operations: Map<string, string> = loadContractOperations()): ConsoleConfig {
  const contract = (name: string): string => {
    const text = operations.get(name);
    if (!text) throw new Error(`The contract has no ${name} operation`);
    return text;
  };
  return {
    endpoint: '/graphql',
    refreshMs: 5000,
    operations: { stats: CONSOLE_STATS_QUERY, warm: contract('WarmCache'), invalidate: contract('InvalidateCache') },
    targets: WARM_TARGETS,
    typenames: INVALIDATABLE_TYPES,
  };
}

export interface ConsoleAssets {
  script: string;
  style: string;
}

const STAT_CARDS: Array<[id: string, label: string]> = [
  ['backend', 'Backend'],
  ['hit-rate', 'Hit rate'],
  ['hits-misses', 'Hits / misses'],
  ['entries', 'Entries'],
  ['memory', 'Memory'],
  ['invalidations', 'Invalidations'],
  ['last-warm', 'Last warm'],
];

/** The page's skeleton; public/console.js fills it in. Element ids are what the script and tests use. */
export function renderConsole(assets: ConsoleAssets, config: ConsoleConfig): string {
  const cards = STAT_CARDS.map(
    ([id, label]) => `      <div class="card"><div class="label">${label}</div><div class="value" id="stat-${id}" data-testid="${id}">—</div><div class="sub" id="stat-${id}-sub"></div></div>`,
  ).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wardcache · Cache console</title>
<link rel="stylesheet" href="${escapeHtml(assets.style)}">
</head>
<body>
<header class="bar">
  <h1>wardcache <span>Cache console</span></h1>
  <div class="bar-right"><span id="refreshed" class="muted"></span><button type="button" id="sign-out" class="ghost" hidden>Sign out</button></div>
</header>
<main>
  <section id="login" class="panel" hidden>
    <form id="login-form">
      <label for="token">Admin token</label>
      <div class="row"><input id="token" name="token" type="password" autocomplete="off" spellcheck="false" placeholder="eyJhbGciOiJIUzI1NiJ9…" required><button type="submit" class="primary">Connect</button></div>
      <p class="muted">Kept in this browser tab only (sessionStorage) and sent only to this gateway's <code>/graphql</code>.</p>
    </form>
  </section>
  <div id="error" class="error" role="alert" data-testid="error" hidden><strong id="error-code"></strong> <span id="error-message"></span><div id="error-hint" class="hint"></div></div>
  <div id="notice" class="notice" role="status" hidden></div>
  <section id="dashboard" hidden>
    <div class="cards">
${cards}
    </div>
    <div class="panel">
      <div class="panel-head"><h2>Warm targets</h2><button type="button" id="warm-all" class="primary">Warm all</button></div>
      <table>
        <thead><tr><th>Target</th><th>Last warm</th><th>Age</th><th>Outcome</th><th>Duration</th><th></th></tr></thead>
        <tbody id="targets"></tbody>
      </table>
    </div>
    <div class="panel">
      <div class="panel-head"><h2>Invalidate</h2></div>
      <form id="invalidate-form" class="row">
        <label for="typename" class="inline">Type</label>
        <select id="typename"></select>
        <button type="submit" class="danger" id="invalidate">Invalidate type</button>
        <span class="muted">Drops every cached answer that shows an entity of this type, in your hospital.</span>
      </form>
    </div>
  </section>
</main>
<script type="application/json" id="console-config">${jsonForHtml(config)}</script>
<script src="${escapeHtml(assets.script)}"></script>
</body>
</html>
`;
}

export function consolePage(assets: ConsoleAssets): Route {
  return htmlPage(() => renderConsole(assets, consoleConfig()));
}
