// The library as a service in another repository gets it: `npm pack` (its prepack builds it),
// then installed into fresh Nest apps outside this repository with only the peers its README
// installs. One app takes every line but tracing: the README's example app (its `ts file=`
// blocks) is compiled against the installed package and run against the emulator: the
// protected service answers 401, 200 and 403; the client-only service gets a token and calls
// it; each loads none of the other side's dependencies. Two more take one side each (the
// every-service line and that side's): every entry point the side uses imports, nothing of the
// other side is installed, and neither is OpenTelemetry's SDK until the tracing line is added.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulator, type StartedEmulator } from '../apps/cognito-emulator/src/bootstrap.js';
import { freePort, root, waitReady } from '../scripts/lib/fleet.mjs';
import { fileBlocks, installGroups, libraryReadme } from '../scripts/lib/readme-blocks.mjs';
import { dirSize, installedNames, npmInstall, pack, sh, StepTimer } from './helpers/packed.js';

const LIB = join(root, 'libs', 'auth');
const manifest = JSON.parse(readFileSync(join(LIB, 'package.json'), 'utf8')) as { name: string };
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
// DEV-ONLY credentials of the test's own pool.
const READER = { id: 'stock-service', secret: 'stock-service-dev-secret' };
const WRITER = { id: 'inventory-writer', secret: 'inventory-writer-dev-secret' };
const POOL = {
  userPoolId: 'us-east-1_Inventory01',
  resourceServers: [
    {
      identifier: 'inventory-api',
      name: 'Inventory',
      scopes: [{ name: 'items.read' }, { name: 'items.write' }],
    },
  ],
  clients: [
    {
      clientId: READER.id,
      clientSecret: READER.secret,
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['inventory-api/items.read'],
    },
    {
      clientId: WRITER.id,
      clientSecret: WRITER.secret,
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['inventory-api/items.write'],
    },
  ],
};
/** Records every module a process loads (import and require), one URL a line. */
const RECORDER = `import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    if (!seen.has(resolved.url)) {
      seen.add(resolved.url);
      appendFileSync(process.env.LOADED_MODULES_FILE, resolved.url + '\\n');
    }
    return resolved;
  },
});
`;
/** The resource server's side: what its verifier imports and brings (its @nestjs/passport strategy, jsonwebtoken under passport-jwt, lru-cache for its verified-token cache); a client-only app gets none. */
const VERIFIER = [
  '@nestjs/passport',
  'passport',
  'passport-jwt',
  'jsonwebtoken',
  'jwks-rsa',
  'lru-cache',
];
const HTTP_CLIENT = ['axios', '@nestjs/axios'];
/** ./client's optional peer for a secret kept in AWS Secrets Manager (SecretsManagerClientSecret). */
const SECRETS_MANAGER_SDK = '@aws-sdk/client-secrets-manager';

/** OpenTelemetry's SDK and what it brings: installed only with the README's tracing line. */
const TRACING_SDK = [
  '@opentelemetry/sdk-node',
  '@grpc/grpc-js',
  'protobufjs',
  'import-in-the-middle',
];
/** The README's install lines: the one every service takes, and each entry point's. */
const groups = installGroups(libraryReadme());
const peersOf = (...entries: string[]) =>
  groups
    .filter((g) => g.entries.some((entry) => entries.includes(entry)))
    .flatMap((g) => g.packages)
    .filter((name) => name !== manifest.name);

/** The packages (`node_modules/<name>/`) of the loaded-modules file. */
function loadedPackages(file: string): Set<string> {
  const names = new Set<string>();
  for (const url of readFileSync(file, 'utf8').split('\n')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match) names.add(match[1]);
  }
  return names;
}

// Not again inside new-service.e2e-spec.ts's run of the suite in a copy: the new-service
// command does not touch the library, and one pack-and-install per run is enough.
describe.skipIf(process.env.NEW_SERVICE_E2E === 'inner')(
  'the packed library, installed into a fresh Nest app',
  () => {
    /** The app with every line but tracing's: the README's example app runs there. */
    let dir: string;
    /** Apps with the every-service line and one side's. */
    let resourceServerOnly: string;
    let clientOnly: string;
    let installWarnings: string[];
    let emulator: StartedEmulator;
    const children: ChildProcess[] = [];
    const timer = new StepTimer();
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

    /** `node dist/<entry>` in the app, with the module recorder; resolves once it is ready. */
    async function serve(entry: string, env: Record<string, string>) {
      const port = await freePort();
      const modules = join(dir, `${entry.replace(/\W+/g, '-')}.modules.txt`);
      let output = '';
      const child = spawn(
        process.execPath,
        ['--import', './record-modules.mjs', join('dist', entry)],
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH,
            HOST: '127.0.0.1',
            PORT: String(port),
            LOG_LEVEL: 'warn',
            LOADED_MODULES_FILE: modules,
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const url = `http://127.0.0.1:${port}`;
      if (!(await waitReady(url, { timeoutMs: 30_000, alive: () => child.exitCode === null }))) {
        throw new Error(`${entry} did not become ready:\n${output}`);
      }
      return { url, modules };
    }

    async function token(client: { id: string; secret: string }): Promise<string> {
      const res = await fetch(emulator.tokenUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { access_token: string }).access_token;
    }

    /** A fresh app in `app`, a folder outside the repository: the tarball and `peers`. */
    function freshApp(app: string, tarball: string, peers: string[]): string {
      const version = (peer: string) =>
        rootManifest.dependencies[peer] ?? rootManifest.devDependencies[peer];
      writeFileSync(
        join(app, 'package.json'),
        JSON.stringify({
          name: 'fresh-nest-app',
          private: true,
          type: 'module',
          dependencies: {
            [manifest.name]: `file:${tarball}`,
            ...Object.fromEntries(peers.map((peer) => [peer, version(peer)])),
          },
          devDependencies: { '@types/node': version('@types/node') },
        }),
      );
      return app;
    }

    /** Runs an ES module script in `app`; its status and output. */
    const script = (app: string, code: string, env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', code], {
        cwd: app,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
        timeout: 30_000,
      });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'auth-package-e2e-'));
      const packed = timer.time('pack', () => pack(LIB, dir));
      const tarball = join(dir, packed.filename);
      const folder = (side: string) => mkdtempSync(join(tmpdir(), `auth-package-e2e-${side}-`));
      // Every line but tracing's; then each side alone, as the README installs it.
      freshApp(
        dir,
        tarball,
        peersOf('./observability', './resource-server', './client', './redis'),
      );
      resourceServerOnly = freshApp(
        folder('resource-server'),
        tarball,
        peersOf('./observability', './resource-server'),
      );
      // A client whose secret is in its environment: not the Secrets Manager line of ./client.
      clientOnly = freshApp(
        folder('client'),
        tarball,
        peersOf('./observability', './client').filter((name) => name !== SECRETS_MANAGER_SDK),
      );
      installWarnings = await timer.time('install (3 apps, side by side)', () =>
        Promise.all([dir, resourceServerOnly, clientOnly].map((app) => npmInstall(app))),
      );
      for (const block of fileBlocks(libraryReadme())) {
        mkdirSync(dirname(join(dir, block.path)), { recursive: true });
        writeFileSync(join(dir, block.path), block.code);
      }
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'ES2023',
            strict: true,
            strictPropertyInitialization: false,
            experimentalDecorators: true,
            emitDecoratorMetadata: true,
            skipLibCheck: true,
            types: ['node'],
            rootDir: 'src',
            outDir: 'dist',
          },
          include: ['src'],
        }),
      );
      timer.time('compile', () => sh(process.execPath, [tsc, '-p', 'tsconfig.json'], dir));
      writeFileSync(join(dir, 'record-modules.mjs'), RECORDER);
      writeFileSync(join(dir, 'pool.json'), JSON.stringify(POOL));
      emulator = await startEmulator({
        PORT: '0',
        LOG_LEVEL: 'warn',
        COGNITO_EMULATOR_POOL_FILE: join(dir, 'pool.json'),
      });
      const size = (app: string) =>
        `${(dirSize(join(app, 'node_modules')) / 2 ** 20).toFixed(0)} MiB, ${installedNames(app).size} packages`;
      console.log(
        `[package] ${timer.summary()}; node_modules: every line but tracing's ${size(dir)}, ` +
          `resource server ${size(resourceServerOnly)}, client ${size(clientOnly)}`,
      );
    }, 300_000);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await emulator?.close();
      for (const app of [dir, resourceServerOnly, clientOnly]) {
        if (app) rmSync(app, { recursive: true, force: true });
      }
    });

    it('installs nothing of this repository but the tarball', () => {
      const installed = readFileSync(join(dir, 'package-lock.json'), 'utf8');
      expect(installed).not.toContain(root);
      expect(
        readdirSync(join(dir, 'node_modules', '@nest-m2m-cognito', 'auth', 'dist')).sort(),
      ).toEqual([
        'client',
        'cognito',
        'observability',
        'redis',
        'resource-server',
        'revocation',
        'shared',
      ]);
    });

    it('protects a service: 401 without a token, 200 with the scope, 403 without it', async () => {
      const api = await serve('main.js', { AUTH_ISSUER: emulator.issuer });
      const items = (authorization?: string) =>
        fetch(`${api.url}/items`, { headers: authorization ? { authorization } : {} });

      const none = await items();
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="inventory-api"');

      const ok = await items(`Bearer ${await token(READER)}`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ items: [], for: READER.id });

      const denied = await items(`Bearer ${await token(WRITER)}`);
      expect(denied.status).toBe(403);
      expect(denied.headers.get('www-authenticate')).toContain(
        'error="insufficient_scope", error_description="the token lacks a required scope", scope="inventory-api/items.read"',
      );

      const ready = await fetch(`${api.url}/health/ready`);
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { jwks: { status: 'up' } } });
      const loaded = loadedPackages(api.modules);
      for (const name of [
        '@nestjs/passport',
        'passport',
        'passport-jwt',
        'jsonwebtoken',
        'jwks-rsa',
        'lru-cache',
        '@nest-m2m-cognito/auth',
      ]) {
        expect(loaded).toContain(name);
      }
      for (const name of HTTP_CLIENT) expect(loaded).not.toContain(name);
    });

    it('calls a service from a client-only app, which loads no verifier', async () => {
      const api = await serve('main.js', { AUTH_ISSUER: emulator.issuer });
      const caller = await serve('caller/main.js', {
        OAUTH_TOKEN_URL: emulator.tokenUrl,
        OAUTH_INVENTORY_API_CLIENT_ID: READER.id,
        OAUTH_INVENTORY_API_CLIENT_SECRET: READER.secret,
        INVENTORY_API_URL: api.url,
      });
      const res = await fetch(`${caller.url}/stock`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ items: [], for: READER.id });
      const ready = await fetch(`${caller.url}/health/ready`);
      expect(await ready.json()).toMatchObject({ info: { m2m: { 'inventory-api': 'up' } } });

      const loaded = loadedPackages(caller.modules);
      for (const name of ['axios', '@nestjs/axios', '@nest-m2m-cognito/auth']) {
        expect(loaded).toContain(name);
      }
      for (const name of VERIFIER) expect(loaded).not.toContain(name);
      // Installed in this app, but its secret is in the environment: the AWS SDK stays unloaded.
      expect(loaded).not.toContain(SECRETS_MANAGER_SDK);
    });

    it('loads node-redis only once a shared token cache is used', () => {
      const modules = join(dir, 'redis-entry.modules.txt');
      const script = [
        "import { redisTokenCacheFromEnv } from '@nest-m2m-cognito/auth/redis';",
        "const store = redisTokenCacheFromEnv({ TOKEN_CACHE_REDIS_URL: 'redis://127.0.0.1:1' });",
        "if (!store) throw new Error('no store');",
      ].join('\n');
      execFileSync(
        process.execPath,
        ['--import', './record-modules.mjs', '--input-type=module', '-e', script],
        { cwd: dir, env: { PATH: process.env.PATH, LOADED_MODULES_FILE: modules } },
      );
      const loaded = loadedPackages(modules);
      expect(loaded).toContain('@nest-m2m-cognito/auth');
      expect(loaded).not.toContain('@redis/client');
    });

    it("installs none of OpenTelemetry's SDK, and no install script, unless tracing is chosen", () => {
      for (const app of [dir, resourceServerOnly, clientOnly]) {
        const names = installedNames(app);
        for (const name of TRACING_SDK) expect(names, app).not.toContain(name);
      }
      // protobufjs's postinstall was the one script, and its warning the one on every install.
      for (const warnings of installWarnings)
        expect(warnings).not.toMatch(/protobufjs|install script/i);
    });

    it.each([
      [
        'resource server',
        () => resourceServerOnly,
        ['./observability', './resource-server', './cognito'],
        [...HTTP_CLIENT, '@redis/client'],
      ],
      [
        'client',
        () => clientOnly,
        ['./observability', './client', './cognito', './redis'],
        [...VERIFIER, '@redis/client', SECRETS_MANAGER_SDK],
      ],
    ])(
      'installs only the %s side: every entry point it uses imports, nothing of the other side is there',
      (_side, app, entries, absent) => {
        const names = installedNames(app());
        for (const name of absent) expect(names).not.toContain(name);
        const imported = script(
          app(),
          `for (const entry of ${JSON.stringify(entries)}) {
             const module = await import('${manifest.name}/' + entry.slice(2));
             console.log(entry, Object.keys(module).length);
           }`,
        );
        expect(imported.status, imported.stderr).toBe(0);
        for (const entry of entries)
          expect(imported.stdout).toMatch(new RegExp(`^${entry} [1-9]`, 'm'));
      },
    );

    it('traces only once the tracing line is installed, and says what to install before', async () => {
      const app = resourceServerOnly;
      const start = (env: Record<string, string>) =>
        spawnSync(
          process.execPath,
          [
            '--import',
            `${manifest.name}/tracing`,
            '--input-type=module',
            '-e',
            `import { trace } from '@opentelemetry/api';
             const provider = trace.getTracerProvider().getDelegate();
             console.log('provider', provider.constructor.name, 'exports', typeof provider.forceFlush);`,
          ],
          { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
        );
      // Not configured: nothing to load, nothing missing.
      const off = start({});
      expect(off.status, off.stderr).toBe(0);
      expect(off.stdout).toContain('provider NoopTracerProvider exports undefined');
      // Configured without the SDK: a start-up error naming the variable and what to install.
      const missing = start({ OTEL_TRACES_EXPORTER: 'console' });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('EnvConfigError');
      expect(missing.stderr).toContain(
        `OTEL_TRACES_EXPORTER turns tracing on, which needs OpenTelemetry's SDK: npm install ${peersOf('./tracing').join(' ')}`,
      );

      const warnings = await timer.time('install tracing', () =>
        npmInstall(
          app,
          peersOf('./tracing').map(
            (name) =>
              `${name}@${rootManifest.dependencies[name] ?? rootManifest.devDependencies[name]}`,
          ),
        ),
      );
      expect(installedNames(app)).toContain('@opentelemetry/sdk-node');
      // The warning the other installs never print comes with the tracing line, and only there.
      expect(warnings).toMatch(/install scripts[\s\S]*protobufjs/i);
      const on = start({ OTEL_TRACES_EXPORTER: 'console' });
      expect(on.status, on.stderr).toBe(0);
      // The SDK's provider, which exports what it records (the API's no-op one has no flush).
      expect(on.stdout).toMatch(/provider \S+ exports function/);
    }, 120_000);
  },
);
