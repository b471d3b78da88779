#!/usr/bin/env node
// `npm run revoke`: refuse tokens across the fleet, at every resource server reading the
// revocation list (AUTH_REVOCATION_REDIS_URL), within about a second. Cognito cannot revoke an
// access token; this list can. See the README's runbook ("A leaked client secret").
//
//   npm run revoke -- --client-id <id> [--before <ISO 8601 time>]   tokens of a client issued
//                                                                  at or before (default: now)
//   npm run revoke -- --jti <jti> [--expires <ISO 8601 time>]      one token (until its exp)
//   options: --redis-url <redis://...> (else AUTH_REVOCATION_REDIS_URL), --key-prefix <prefix>
//            (else AUTH_REVOCATION_KEY_PREFIX, default auth:)
//
// Malformed input writes nothing: exit 2 and a message naming what is wrong. Redis unreachable
// or the list full: exit 1, nothing written. It runs the library's own `revoke()` from dist/
// (built first when stale). The Redis URL (which may hold a password) is never printed.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildIfStale, built, root } from './lib/fleet.mjs';

const USAGE = `usage: npm run revoke -- --client-id <id> [--before <ISO 8601 time>]
       npm run revoke -- --jti <jti> [--expires <ISO 8601 time>]
options: --redis-url <url> (else AUTH_REVOCATION_REDIS_URL), --key-prefix <prefix>`;

/** A time as ISO 8601 with a zone (`2030-01-01T10:00:00Z`): nothing a Date would guess at. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Ends with `message` and `code`: 2 for input refused, 1 for a failure to write. */
function fail(message, code) {
  console.error(`revoke: ${message}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      'client-id': { type: 'string' },
      before: { type: 'string' },
      jti: { type: 'string' },
      expires: { type: 'string' },
      'redis-url': { type: 'string' },
      'key-prefix': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error.message, 2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const time = (option) => {
  const value = values[option];
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!ISO_TIME.test(value) || Number.isNaN(date.getTime())) {
    fail(`--${option} must be an ISO 8601 time with a zone, e.g. 2030-01-01T10:00:00Z`, 2);
  }
  return date;
};
const byClient = values['client-id'] !== undefined;
const byJti = values.jti !== undefined;
if (byClient === byJti) fail('give exactly one of --client-id and --jti', 2);
if (byClient && values.expires !== undefined) fail('--expires goes with --jti', 2);
if (byJti && values.before !== undefined) fail('--before goes with --client-id', 2);
const request = byClient
  ? {
      clientId: values['client-id'],
      ...(values.before !== undefined && { before: time('before') }),
    }
  : { jti: values.jti, ...(values.expires !== undefined && { expiresAt: time('expires') }) };
const env = {
  ...process.env,
  ...(values['redis-url'] !== undefined && { AUTH_REVOCATION_REDIS_URL: values['redis-url'] }),
  ...(values['key-prefix'] !== undefined && { AUTH_REVOCATION_KEY_PREFIX: values['key-prefix'] }),
};
if (!env.AUTH_REVOCATION_REDIS_URL?.trim()) {
  fail('no revocation list: pass --redis-url or set AUTH_REVOCATION_REDIS_URL', 2);
}

if (!buildIfStale({ say: (m) => console.error(m), stdio: ['ignore', 2, 2] })) process.exit(1);
const library = await import(
  pathToFileURL(join(root, built('weather-api', 'libs', 'auth', 'src', 'revocation', 'index.js')))
    .href
);
const { revoke, redisRevocationStoreFromEnv, RevocationInputError, RevocationListFullError } =
  library;

let store;
try {
  // A command-line tool may wait for a remote Redis longer than a server would per request.
  store = redisRevocationStoreFromEnv(env, { commandTimeoutMs: 5_000, connectTimeoutMs: 5_000 });
} catch (error) {
  // An EnvConfigError names the variable, never its value: here, the option it came from.
  const fromOption = {
    AUTH_REVOCATION_REDIS_URL: values['redis-url'] !== undefined && '--redis-url',
    AUTH_REVOCATION_KEY_PREFIX: values['key-prefix'] !== undefined && '--key-prefix',
  }[error.variable];
  fail(fromOption ? error.message.replace(error.variable, fromOption) : error.message, 2);
}
try {
  const entry = await revoke(store, request);
  const until = new Date(entry.expiresAt * 1000).toISOString();
  console.log(
    entry.kind === 'client'
      ? `revoked: every token of client ${entry.clientId} issued at or before ${new Date(entry.before * 1000).toISOString()} (listed until ${until})`
      : `revoked: the token with jti ${entry.jti} (listed until ${until})`,
  );
} catch (error) {
  if (error instanceof RevocationInputError) fail(`${error.message} (nothing written)`, 2);
  if (error instanceof RevocationListFullError) fail(error.message, 1);
  fail(`${error.message}: nothing written`, 1);
} finally {
  store?.close();
}
