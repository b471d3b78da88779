// Preloaded (NODE_OPTIONS=--import) into a service a test starts: prints
// `[package-load] <name>` once, to standard error, when the process first resolves one of
// the packages named in REPORT_PACKAGE_LOADS (comma-separated), by import or require.
import { registerHooks } from 'node:module';

const watched = new Set((process.env.REPORT_PACKAGE_LOADS ?? '').split(',').filter(Boolean));
const seen = new Set();
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (watched.has(specifier) && !seen.has(specifier)) {
      seen.add(specifier);
      process.stderr.write(`[package-load] ${specifier}\n`);
    }
    return nextResolve(specifier, context);
  },
});
