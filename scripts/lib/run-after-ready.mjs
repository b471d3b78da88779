// `node scripts/lib/run-after-ready.mjs <url> <entry>`: how the fleet kit starts a service
// after another (launchService's `after`, as npm start runs weather-api and the caller):
// loads the app's code (its bootstrap.js) while <url> is not yet ready, then runs the app's
// entry point in this process; exits 1 when <url> is not ready within a minute.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root, waitReady } from './fleet.mjs';

const WAIT_TIMEOUT_MS = 60_000;

/**
 * What to load ahead of running `entry`: its `bootstrap.js` beside it (the app's whole module
 * graph, with no side effect: main.js is what starts the app), else the packages it imports.
 */
function preloadsOf(entry) {
  const bootstrap = join(root, dirname(entry), 'bootstrap.js');
  if (existsSync(bootstrap)) return [pathToFileURL(bootstrap).href];
  const appDir = join(root, 'dist', 'apps', entry.split(/[\\/]/)[2]);
  const specifiers = new Set();
  for (const file of readdirSync(appDir, { recursive: true, withFileTypes: true })) {
    if (!file.isFile() || !file.name.endsWith('.js')) continue;
    const code = readFileSync(join(file.parentPath ?? file.path, file.name), 'utf8');
    for (const [, spec] of code.matchAll(/\bfrom\s*['"]([^'".][^'"]*)['"]/g)) specifiers.add(spec);
  }
  return [...specifiers];
}

const [url, entry] = process.argv.slice(2);
// One after another: a CommonJS package require()-ing an ES module that a parallel
// import() is still loading fails in Node 20.
const warm = (async () => {
  for (const spec of preloadsOf(entry)) await import(spec).catch(() => undefined);
})();
if (!(await waitReady(url, { timeoutMs: WAIT_TIMEOUT_MS }))) {
  console.error(`${url} not ready after ${WAIT_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}
await warm;
await import(pathToFileURL(join(root, entry)).href);
