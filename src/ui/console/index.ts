import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Route } from '../../http/router';
// The dashboard's in-memory esbuild route serves any client entry; the console reuses it.
import { clientBundleRoute } from '../bundle';
import { CONTENT_TYPES, staticFile } from '../static-file';
import { consolePage } from './page';

export { CONSOLE_QUERIES } from './queries';
export { consoleConfig, INVALIDATABLE_TYPES, renderConsole, WARM_TARGETS } from './page';

export const CONSOLE_PATH = '/admin';

/** The console's browser code: client/main.ts with Preact, htm and uPlot from node_modules. */
export const CONSOLE_ENTRY = join(__dirname, 'client', 'main.ts');

/** uPlot's stylesheet from the installed package; its URL carries the version, so it is cached for good. */
function uplotStyle(prefix: string): { path: string; route: Route } {
  const manifest = require.resolve('uplot/package.json');
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return {
    path: `${prefix}/uplot-${version}.min.css`,
    route: staticFile({ file: join(dirname(manifest), 'dist', 'uPlot.min.css'), contentType: CONTENT_TYPES.css, immutable: true }),
  };
}

/**
 * The cache console (GET /admin) and its assets, all under /admin/assets/: the page's script
 * (client/, bundled with Preact, htm and uPlot by esbuild on first request), uPlot's stylesheet
 * and the console's own. Everything the page loads or asks for is on this gateway.
 */
export function consoleRoutes(path: string = CONSOLE_PATH): Record<string, Route> {
  const script = `${path}/assets/console.js`;
  const style = `${path}/assets/console.css`;
  const uplot = uplotStyle(`${path}/assets`);
  return {
    [path]: consolePage({ script, styles: [uplot.path, style] }),
    [script]: clientBundleRoute(CONSOLE_ENTRY),
    [uplot.path]: uplot.route,
    [style]: staticFile({ file: join(__dirname, 'public', 'console.css'), contentType: CONTENT_TYPES.css, immutable: false }),
  };
}
