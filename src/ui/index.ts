import { join } from 'node:path';
import type { Route } from '../http/router';
import { consolePage } from './console';
import { DASHBOARD_PATH, dashboardRoutes } from './dashboard';
import { playgroundPage } from './playground';
import { CONTENT_TYPES, staticFile } from './static-file';
import { vendorAssets } from './vendor';

export { withPlayground } from './playground';

/** The browser scripts and styles of src/ui/public, served as they are (no build step). */
const PUBLIC_DIR = join(__dirname, 'public');

export const PLAYGROUND_PATH = '/playground';
export const CONSOLE_PATH = '/admin';
export { DASHBOARD_PATH };

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
  const own = (path: string, file: string, contentType: string) => ({
    path,
    route: staticFile({ file: join(PUBLIC_DIR, file), contentType, immutable: false }),
  });

  const vendor = vendorAssets(`${PLAYGROUND_PATH}/assets`);
  const playgroundAssets = { ...vendor, client: own(`${PLAYGROUND_PATH}/assets/playground.js`, 'playground.js', CONTENT_TYPES.js) };
  const playground = playgroundPage(playgroundAssets);

  const consoleScript = own(`${CONSOLE_PATH}/assets/console.js`, 'console.js', CONTENT_TYPES.js);
  const consoleStyle = own(`${CONSOLE_PATH}/assets/console.css`, 'console.css', CONTENT_TYPES.css);

  const routes: Record<string, Route> = {
    [PLAYGROUND_PATH]: playground,
    [CONSOLE_PATH]: consolePage({ script: consoleScript.path, style: consoleStyle.path }),
  };
  for (const asset of [...Object.values(playgroundAssets), consoleScript, consoleStyle]) routes[asset.path] = asset.route;
  // The ward dashboard (/dashboard) and its assets.
  Object.assign(routes, dashboardRoutes(DASHBOARD_PATH));
  return { routes, playground };
}
