import { join } from 'node:path';
import type { Route } from '../../http/router';
import { CONTENT_TYPES, staticFile } from '../static-file';
import { clientBundleRoute } from '../bundle';
import { dashboardPage } from './page';

export { DASHBOARD_OPERATIONS, dashboardConfig, renderDashboard } from './page';

export const DASHBOARD_PATH = '/dashboard';

/** The dashboard's browser code: client/main.ts with Preact, htm and graphql-sse from node_modules. */
const CLIENT_ENTRY = join(__dirname, 'client', 'main.ts');

/**
 * The ward dashboard (GET /dashboard) and its two assets: the page's script (client/, bundled
 * with Preact, htm and graphql-sse by esbuild on first request) and its stylesheet. Everything
 * the page loads or asks for is on this gateway.
 */
export function dashboardRoutes(path: string = DASHBOARD_PATH): Record<string, Route> {
  const script = `${path}/assets/dashboard.js`;
  const style = `${path}/assets/dashboard.css`;
  return {
    [path]: dashboardPage({ script, style }),
    [script]: clientBundleRoute(CLIENT_ENTRY),
    [style]: staticFile({ file: join(__dirname, 'public', 'dashboard.css'), contentType: CONTENT_TYPES.css, immutable: false }),
  };
}
