import { join } from 'node:path';
import type { Route } from '../http/router';
import { CONSOLE_PATH, consoleRoutes } from './console';
import { DASHBOARD_PATH, dashboardRoutes } from './dashboard';
import { playgroundPage } from './playground';
import { CONTENT_TYPES, staticFile } from './static-file';
import { vendorAssets } from './vendor';

export { withPlayground } from './playground';

/** The playground's browser script in src/ui/public, served as it is (no build step). */
const PUBLIC_DIR = join(__dirname, 'public');

export const PLAYGROUND_PATH = '/playground';
export { CONSOLE_PATH, DASHBOARD_PATH };

export interface UiRoutes {
  /** Exact paths for the gateway's route table: pages and their assets. */
  routes: Record<string, Route>;
  /** The playground page, also served for a browser's GET /graphql (see withPlayground). */
  playground: Route;
}

/**
 * The gateway's pages: the GraphiQL playground (/graphql in a browser, or /playground), the cache
 * console (/admin) and the ward dashboard (/dashboard). Everything they load comes from these routes.
 */
export function createUiRoutes(): UiRoutes {
  const vendor = vendorAssets(`${PLAYGROUND_PATH}/assets`);
  const client = {
    path: `${PLAYGROUND_PATH}/assets/playground.js`,
    route: staticFile({ file: join(PUBLIC_DIR, 'playground.js'), contentType: CONTENT_TYPES.js, immutable: false }),
  };
  const playgroundAssets = { ...vendor, client };
  const playground = playgroundPage(playgroundAssets);

  const routes: Record<string, Route> = { [PLAYGROUND_PATH]: playground };
  for (const asset of Object.values(playgroundAssets)) routes[asset.path] = asset.route;
  // The cache console (/admin) and the ward dashboard (/dashboard), each with its assets.
  Object.assign(routes, consoleRoutes(CONSOLE_PATH), dashboardRoutes(DASHBOARD_PATH));
  return { routes, playground };
}
