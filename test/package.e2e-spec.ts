// The library as a service in another repository gets it: `npm pack`, then installed with the
// peers its README installs (nothing else at run time) into a fresh Nest app outside this
// repository. The README's example app (its `ts file=` blocks) is compiled against the
// installed package and run against the emulator: the protected service answers 401, 200
// and 403; the client-only service gets a token and calls it; each loads none of the other
// side's dependencies.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulator, type StartedEmulator } from '../apps/cognito-emulator/src/bootstrap.js';
import { freePort, root, waitReady } from '../scripts/lib/fleet.mjs';
import { fileBlocks, installedPackages, libraryReadme } from '../scripts/lib/readme-blocks.mjs';

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
const VERIFIER = ['passport', 'passport-jwt', 'jwks-rsa', 'jsonwebtoken'];
const HTTP_CLIENT = ['axios', '@nestjs/axios'];

function sh(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The packages (`node_modules/<name>/`) of the loaded-modules file. */
function loadedPackages(file: string): Set<string> {
  const names = new Set<string>();
  for (const url of readFileSync(file, 'utf8').split('\n')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match) names.add(match[1]);
  }
  return names;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

// Not again inside new-service.e2e-spec.ts's run of the suite in a copy: the new-service
// command does not touch the library, and one pack-and-install per run is enough.
describe.skipIf(process.env.NEW_SERVICE_E2E === 'inner')(
  'the packed library, installed into a fresh Nest app',
  () => {
    let dir: string;
    let emulator: StartedEmulator;
    const children: ChildProcess[] = [];
    const timings: Record<string, number> = {};
    const time = <T>(step: string, run: () => T): T => {
      const started = Date.now();
      try {
        return run();
      } finally {
        timings[step] = Date.now() - started;
      }
    };

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

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'auth-package-e2e-'));
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      time('build', () => sh(process.execPath, [tsc, '-p', join(LIB, 'tsconfig.lib.json')], root));
      const packed = time(
        'pack',
        () =>
          JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', dir], LIB)) as {
            filename: string;
            size: number;
            unpackedSize: number;
            entryCount: number;
          }[],
      )[0];
      console.log(
        `[package] ${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ` +
          `${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.entryCount} files`,
      );
      const version = (name: string) =>
        rootManifest.dependencies[name] ?? rootManifest.devDependencies[name];
      const peers = installedPackages(libraryReadme()).filter((name) => name !== manifest.name);
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({
          name: 'fresh-nest-app',
          private: true,
          type: 'module',
          dependencies: {
            [manifest.name]: `file:./${packed.filename}`,
            ...Object.fromEntries(peers.map((name) => [name, version(name)])),
          },
          devDependencies: { '@types/node': version('@types/node') },
        }),
      );
      time('install', () =>
        sh(
          'npm',
          ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
          dir,
        ),
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
      time('compile', () => sh(process.execPath, [tsc, '-p', 'tsconfig.json'], dir));
      writeFileSync(join(dir, 'record-modules.mjs'), RECORDER);
      writeFileSync(join(dir, 'pool.json'), JSON.stringify(POOL));
      emulator = await startEmulator({
        PORT: '0',
        LOG_LEVEL: 'warn',
        COGNITO_EMULATOR_POOL_FILE: join(dir, 'pool.json'),
      });
      console.log(
        `[package] ${Object.entries(timings)
          .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
          .join(
            ', ',
          )}; node_modules ${(dirSize(join(dir, 'node_modules')) / 2 ** 20).toFixed(0)} MiB`,
      );
    }, 300_000);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await emulator?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('installs nothing of this repository but the tarball', () => {
      const installed = readFileSync(join(dir, 'package-lock.json'), 'utf8');
      expect(installed).not.toContain(root);
      expect(
        readdirSync(join(dir, 'node_modules', '@nest-m2m-cognito', 'auth', 'dist')).sort(),
      ).toEqual(['client', 'cognito', 'observability', 'redis', 'resource-server', 'shared']);
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
      for (const name of ['passport-jwt', 'jwks-rsa', '@nest-m2m-cognito/auth']) {
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
  },
);
