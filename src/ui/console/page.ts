import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { loadContractOperations } from '../../contract/operations';
import type { Route } from '../../http/router';
import { escapeHtml, htmlPage, jsonForHtml } from '../static-file';
import type { ConsoleConfig } from './client/config';
import { CONSOLE_QUERIES } from './queries';

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

export interface ConsoleAssets {
  script: string;
  styles: string[];
}

/**
 * The contract's queries whose answers the cache keeps: every query but the admin's own
 * (`cache…` fields), which are never cached.
 */
function cachedQueries(operations: Map<string, string>): string[] {
  return [...operations.entries()]
    .filter(([, text]) => {
      const def = parse(text).definitions[0] as OperationDefinitionNode;
      const fields = def.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : ''));
      return def.operation === 'query' && !fields.some((f) => f.startsWith('cache'));
    })
    .map(([name]) => name);
}

export function consoleConfig(operations: Map<string, string> = loadContractOperations()): ConsoleConfig {
  const contract = (name: string): string => {
    const text = operations.get(name);
    if (!text) throw new Error(`The contract has no ${name} operation: the cache console cannot run without it`);
    return text;
  };
  return {
    endpoint: '/graphql',
    refreshMs: 5000,
    operations: {
      ...CONSOLE_QUERIES,
      entries: contract('CacheEntries'),
      evict: contract('EvictCacheEntry'),
      warm: contract('WarmCache'),
      invalidate: contract('InvalidateCache'),
    },
    targets: WARM_TARGETS,
    typenames: INVALIDATABLE_TYPES,
    cachedOperations: cachedQueries(operations),
  };
}

/** The page: a mount point, the config as JSON (no inline script runs), the bundle and its CSS. */
export function renderConsole(assets: ConsoleAssets, config: ConsoleConfig): string {
  const styles = assets.styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wardcache · Cache console</title>
${styles}
</head>
<body>
<div id="app"><p class="boot">Loading the cache console…</p></div>
<script type="application/json" id="console-config">${jsonForHtml(config)}</script>
<script type="module" src="${escapeHtml(assets.script)}"></script>
</body>
</html>
`;
}

export function consolePage(assets: ConsoleAssets): Route {
  return htmlPage(() => renderConsole(assets, consoleConfig()));
}
