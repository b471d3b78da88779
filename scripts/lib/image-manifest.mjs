// The package.json of one app's production image: the npm packages its build (dist/apps/<app>)
// imports, statically or dynamically (the tracing entry point's SDK included), plus what Nest
// loads by name at run time (class-validator and class-transformer for startService's
// validation; Express's adapter unless the app runs on Fastify), each at the range of the
// root package.json. Installed with the root lock (`npm install --omit=dev`), npm keeps the
// locked versions and leaves out every package the app does not use: one image per app,
// each with its own dependencies, instead of every app carrying the whole fleet's.
//   node scripts/lib/image-manifest.mjs <app>   (prints it; the Dockerfile's build stage runs it)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './fleet.mjs';

/** Loaded by name at run time, so no build imports them: always (startService), or on Express. */
const LOADED_BY_NEST = ['class-validator', 'class-transformer'];
const EXPRESS = '@nestjs/platform-express';
const FASTIFY = '@nestjs/platform-fastify';

/** `@scope/name` or `name` of a bare import specifier. */
const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

/** The npm packages the JavaScript files under `dir` import (not node:, not relative). */
export function importedPackages(dir) {
  const found = new Set();
  // import ... from 'x', import 'x', import('x'), and module.register('x/hook.mjs', ...).
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bregister\(\s*)['"]([^'"]+)['"]/g;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const code = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const [, name] of code.matchAll(specifier)) {
      if (!name.startsWith('.') && !name.startsWith('node:') && !name.startsWith('/')) {
        found.add(packageOf(name));
      }
    }
  }
  return found;
}

/** The image's package.json for `app`, from its build under dist/. */
export function imageManifest(app) {
  const dist = join(root, 'dist', 'apps', app);
  if (!existsSync(dist)) throw new Error(`image-manifest: no build of ${app} (npm run build)`);
  const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const names = importedPackages(dist);
  for (const name of LOADED_BY_NEST) names.add(name);
  if (!names.has(FASTIFY)) names.add(EXPRESS);
  const missing = [...names].filter((name) => !dependencies[name]);
  if (missing.length > 0) {
    throw new Error(`image-manifest: ${app} imports ${missing.join(', ')}, not in dependencies`);
  }
  return {
    name: `${app}-image`,
    private: true,
    type: 'module',
    dependencies: Object.fromEntries([...names].sort().map((name) => [name, dependencies[name]])),
  };
}

/**
 * The folders (`node_modules/...`, as the root lock names them) that installing `manifest`
 * with the root lock and `--omit=dev --omit=optional` keeps: each dependency as Node would
 * resolve it from where it is required, with its dependencies and its required peers, never
 * its optional ones. With their size in bytes (nested node_modules counted as their own).
 */
export function lockedClosure(manifest) {
  const { packages } = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const resolveFrom = (from, name) => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[path]) return path;
      if (!dir) return undefined;
    }
  };
  const kept = new Set();
  const visit = (path) => {
    if (!path || kept.has(path)) return;
    kept.add(path);
    const entry = packages[path];
    const optional = entry.peerDependenciesMeta ?? {};
    const peers = Object.keys(entry.peerDependencies ?? {}).filter((n) => !optional[n]?.optional);
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...peers]) {
      visit(resolveFrom(path, name));
    }
  };
  for (const name of Object.keys(manifest.dependencies)) visit(resolveFrom('', name));
  let bytes = 0;
  for (const path of kept) {
    for (const entry of readdirSync(join(root, path), { recursive: true, withFileTypes: true })) {
      const file = join(entry.parentPath, entry.name);
      if (entry.isFile() && !file.slice(join(root, path).length).includes('/node_modules/')) {
        bytes += statSync(file).size;
      }
    }
  }
  return { paths: kept, bytes };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = process.argv[2];
  if (!app) throw new Error('usage: node scripts/lib/image-manifest.mjs <app>');
  process.stdout.write(`${JSON.stringify(imageManifest(app), null, 2)}\n`);
}
