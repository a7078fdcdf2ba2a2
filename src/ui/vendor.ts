import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Route } from '../http/router';
import { CONTENT_TYPES, staticFile } from './static-file';

/**
 * GraphiQL 3's UMD build and the React 18 UMD builds it runs on, served straight from the
 * installed npm packages: the playground needs no CDN and no build step.
 *
 * The files are found through each package's package.json, because graphiql's `exports` map
 * does not expose `graphiql.min.js` to require.resolve. Their URLs carry the package version, so
 * browsers may cache them for good and an upgrade changes the URL.
 */
export interface VendorAsset {
  /** URL path, e.g. /playground/assets/graphiql-3.9.0.min.js */
  path: string;
  route: Route;
}

interface VendorFile {
  pkg: 'graphiql' | 'react' | 'react-dom';
  file: string;
  /** File name in the URL; `{v}` is the package version. */
  name: string;
  contentType: string;
}

const FILES = {
  react: { pkg: 'react', file: 'umd/react.production.min.js', name: 'react-{v}.production.min.js', contentType: CONTENT_TYPES.js },
  reactDom: { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', name: 'react-dom-{v}.production.min.js', contentType: CONTENT_TYPES.js },
  graphiqlJs: { pkg: 'graphiql', file: 'graphiql.min.js', name: 'graphiql-{v}.min.js', contentType: CONTENT_TYPES.js },
  graphiqlCss: { pkg: 'graphiql', file: 'graphiql.min.css', name: 'graphiql-{v}.min.css', contentType: CONTENT_TYPES.css },
} satisfies Record<string, VendorFile>;

export type VendorName = keyof typeof FILES;

// The UMD files end with a sourceMappingURL comment; the maps are not served (4 MB for GraphiQL),
// so the comment goes, and developer tools do not ask for a file that is not there.
const dropSourceMap = (text: string): string => text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');

function packageDir(pkg: string): { dir: string; version: string } {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { dir: dirname(manifest), version };
}

/** The vendor files under `prefix` (e.g. /playground/assets), by name. */
export function vendorAssets(prefix: string): Record<VendorName, VendorAsset> {
  const out = {} as Record<VendorName, VendorAsset>;
  for (const [key, spec] of Object.entries(FILES) as Array<[VendorName, VendorFile]>) {
    const { dir, version } = packageDir(spec.pkg);
    out[key] = {
      path: `${prefix}/${spec.name.replace('{v}', version)}`,
      route: staticFile({
        file: join(dir, spec.file),
        contentType: spec.contentType,
        immutable: true,
        transform: spec.contentType === CONTENT_TYPES.js ? dropSourceMap : undefined,
      }),
    };
  }
  return out;
}
