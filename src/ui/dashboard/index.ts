import { join } from 'node:path';
import type { Route } from '../../http/router';
import { CONTENT_TYPES, staticFile } from '../static-file';
import { clientBundleRoute } from './bundle';
import { dashboardPage } from './page';

export { buildClient } from './bundle';
export { DASHBOARD_OPERATIONS, dashboardConfig, renderDashboard } from './page';

export const DASHBOARD_PATH = '/dashboard';

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
    [script]: clientBundleRoute(),
    [style]: staticFile({ file: join(__dirname, 'public', 'dashboard.css'), contentType: CONTENT_TYPES.css, immutable: false }),
  };
}
