import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { serveEmulator } from '../serve.js';
import { INSTALLED_SCHEMA, starterPool } from './starter-pool.js';

const NAME = 'cognito-m2m-emulator';

/** Where the command reads its environment and writes what it says. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = `Usage: ${NAME} [--pool <file>] [--port <n>] [--host <address>]
       ${NAME} init [file] [--force]

A local Amazon Cognito for machine-to-machine OAuth 2.0: client-credentials tokens as
Cognito issues them, its JWKS and discovery document, for the user pool a JSON file
describes. DEV-ONLY: never put a real secret in a pool file.

Options:
  --pool <file>     the pool file (default: COGNITO_EMULATOR_POOL_FILE, else ./pool.json)
  --port <n>        the port, 0 for an ephemeral one (default: PORT, else 4000)
  --host <address>  the listen address (default: HOST, else 127.0.0.1; 0.0.0.0 in a container)
  -h, --help        this text
  -v, --version     the version

Commands:
  init [file]       write a starter pool file (default ./pool.json): one resource server, one
                    client with a generated secret (tokens from /oauth2/token and from
                    GetClientToken); --force overwrites an existing file

Environment: PORT, HOST, LOG_LEVEL, COGNITO_EMULATOR_POOL_FILE, COGNITO_EMULATOR_KEYS_FILE,
COGNITO_EMULATOR_ISSUER_BASE, COGNITO_EMULATOR_ADMIN, COGNITO_EMULATOR_STATE_FILE,
COGNITO_EMULATOR_TLS, COGNITO_EMULATOR_TLS_DIR, COGNITO_EMULATOR_TLS_CERT,
COGNITO_EMULATOR_TLS_KEY, COGNITO_EMULATOR_TOKEN_RPS, COGNITO_EMULATOR_CORS_ORIGINS
(the package's README says what each does).`;

/** Wrong arguments: exit code 2 and a pointer to `--help`. */
class UsageError extends Error {
  readonly code = 'invalid_arguments';
}

/** node:util's parseArgs, its refusals as usage errors. */
function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** The package's own folder (its package.json), found upwards from this file; undefined outside it. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === NAME) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * The `$schema` of a pool file written to `file`: the schema of the package installed in a
 * `node_modules` the file's folder resolves from, relative to it; when there is none (run
 * through npx without installing), where a dev-dependency install will put it.
 */
function schemaReference(file: string): string {
  let dir = dirname(file);
  for (;;) {
    const schema = join(dir, INSTALLED_SCHEMA);
    if (existsSync(schema)) {
      const path = relative(dirname(file), schema).split(sep).join('/');
      return path.startsWith('.') ? path : `./${path}`;
    }
    const parent = dirname(dir);
    if (parent === dir) return `./${INSTALLED_SCHEMA}`;
    dir = parent;
  }
}

async function init(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parse({
    args,
    options: { force: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length > 1) throw new UsageError('init takes one file name');
  const file = resolve(context.cwd, positionals[0] ?? 'pool.json');
  const shown = relative(context.cwd, file) || file;
  if (existsSync(file) && !values.force) {
    context.err(`${NAME}: ${shown} exists; init --force overwrites it`);
    return 1;
  }
  const pool = starterPool(schemaReference(file));
  await writeFile(file, `${JSON.stringify(pool, null, 2)}\n`, { mode: 0o600 });
  const [client] = pool.clients;
  context.out(
    `wrote ${shown}: user pool ${pool.userPoolId}, resource server my-api (scopes read, write), ` +
      `client ${client.clientId} (scope my-api/read, from /oauth2/token or GetClientToken; its generated secret is in the file)`,
  );
  context.out(`start it: npx ${NAME} --pool ${shown}`);
  return 0;
}

async function serve(args: string[], context: CliContext): Promise<undefined> {
  const { values, positionals } = parse({
    args,
    options: { pool: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' } },
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unknown command "${positionals[0]}"`);
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) {
    throw new UsageError('--port must be an integer (0-65535)');
  }
  const named = values.pool ?? context.env.COGNITO_EMULATOR_POOL_FILE?.trim();
  if (!named && !existsSync(resolve(context.cwd, 'pool.json'))) {
    throw new UsageError(
      `no pool file: pass --pool <file>, set COGNITO_EMULATOR_POOL_FILE, or write ./pool.json with \`${NAME} init\``,
    );
  }
  await serveEmulator({
    ...context.env,
    COGNITO_EMULATOR_POOL_FILE: resolve(context.cwd, named || 'pool.json'),
    ...(values.port !== undefined && { PORT: values.port }),
    ...(values.host !== undefined && { HOST: values.host }),
  });
  return undefined;
}

/**
 * The `cognito-m2m-emulator` command: serves a pool file (`--pool`, `--port`, `--host`, and
 * every variable the emulator reads), writes a starter pool file (`init`), or says how it is
 * used. Resolves to the exit code, or undefined once the emulator serves (it runs until
 * SIGTERM or SIGINT). Wrong arguments exit 2, a failed start 1, with one line naming what to fix.
 *
 * @example
 * ```ts
 * const code = await runCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), out: console.log, err: console.error });
 * ```
 */
export async function runCli(argv: string[], context: CliContext): Promise<number | undefined> {
  if (argv.includes('--help') || argv.includes('-h')) {
    context.out(USAGE);
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    const root = packageRoot();
    const manifest = root && join(root, 'package.json');
    const version = manifest
      ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
      : 'unknown';
    context.out(version);
    return 0;
  }
  try {
    return argv[0] === 'init' ? await init(argv.slice(1), context) : await serve(argv, context);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UsageError) {
      context.err(`${NAME}: ${message}\nRun ${NAME} --help for its usage.`);
      return 2;
    }
    context.err(`${NAME}: ${message}`);
    return 1;
  }
}
