// Preloaded (NODE_OPTIONS=--import) into a service a test starts from this repository: a
// package of node_modules outside ALLOWED_PACKAGES_FILE (one lock path a line, e.g.
// `node_modules/@nestjs/core`) resolves as if it were not installed, by import or require,
// and is reported once as `[package-denied] <path>` on standard error. So a service runs here
// as it would in an image holding only those packages.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = `${process.env.PACKAGES_ROOT}/`;
const allowed = new Set(
  readFileSync(process.env.ALLOWED_PACKAGES_FILE, 'utf8').split('\n').filter(Boolean),
);
const reported = new Set();
const packagePath = /^(?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+/;

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (!resolved.url.startsWith('file:')) return resolved;
    const file = fileURLToPath(resolved.url);
    if (!file.startsWith(root)) return resolved;
    const match = packagePath.exec(file.slice(root.length));
    const path = match?.[0].slice(0, -1);
    if (!path || allowed.has(path)) return resolved;
    if (!reported.has(path)) {
      reported.add(path);
      process.stderr.write(`[package-denied] ${path}\n`);
    }
    const error = new Error(`Cannot find package '${specifier}' (not in the image)`);
    error.code = context.conditions?.includes('require')
      ? 'MODULE_NOT_FOUND'
      : 'ERR_MODULE_NOT_FOUND';
    throw error;
  },
});
