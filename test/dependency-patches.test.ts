import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * patches/ holds fixes to dependencies that `npm install` applies (postinstall: patch-package).
 * A fresh install that skipped them would still answer correctly, only slower, so nothing else
 * would notice: this does.
 */
describe('dependency patches', () => {
  it('@envelop/response-cache walks each nested array of an answer once, not twice per level', () => {
    // Upstream 9.3.1 tests `Array.isArray(value)` and then `typeof value === 'object'` with `if`
    // both times, so every array is cleaned twice and a ward map's tags eight times (~19 ms of
    // a 190 KB miss).
    for (const flavour of ['cjs', 'esm']) {
      const source = readFileSync(join(__dirname, '..', 'node_modules', '@envelop', 'response-cache', flavour, 'plugin.js'), 'utf8');
      expect(source).toContain("else if (value !== null && typeof value === 'object')");
    }
  });
});
