import { createDocumentRegistry } from '../../contract/documents';
import type { Route } from '../../http/router';
import { escapeHtml, htmlPage, jsonForHtml } from '../static-file';
import type { DashboardConfig } from './client/config';

/** The contract operations the page sends, by name; each is sent by its trusted-document id. */
export const DASHBOARD_OPERATIONS = ['Dashboard', 'WardMapping', 'WardFilters', 'DashboardChanges'] as const;

export interface DashboardAssets {
  script: string;
  style: string;
}

/** Name → trusted-document id of the operations the page uses (computed here, on the server). */
export function dashboardConfig(ids: Record<string, string> = createDocumentRegistry().ids()): DashboardConfig {
  const documents: Record<string, string> = {};
  for (const name of DASHBOARD_OPERATIONS) {
    const id = ids[name];
    if (!id) throw new Error(`The contract has no ${name} operation: the dashboard cannot run without it`);
    documents[name] = id;
  }
  return { endpoint: '/graphql', streamEndpoint: '/graphql/stream', documents: documents as DashboardConfig['documents'] };
}

/** The page: a mount point, the config as JSON (no inline script runs), the bundle and its CSS. */
export function renderDashboard(assets: DashboardAssets, config: DashboardConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>wardcache · Ward dashboard</title>
<link rel="stylesheet" href="${escapeHtml(assets.style)}">
</head>
<body>
<div id="app"><p class="boot">Loading the ward dashboard…</p></div>
<script type="application/json" id="dashboard-config">${jsonForHtml(config)}</script>
<script type="module" src="${escapeHtml(assets.script)}"></script>
</body>
</html>
`;
}

export function dashboardPage(assets: DashboardAssets): Route {
  return htmlPage(() => renderDashboard(assets, dashboardConfig()));
}
