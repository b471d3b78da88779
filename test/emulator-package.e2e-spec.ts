// The emulator as another repository gets it: `npm pack` (its prepack builds it), installed
// into an empty folder outside this repository from the tarball alone (its dependencies
// from the npm registry), then used the two ways the README shows: the
// `cognito-m2m-emulator` command on a pool file `init` wrote there, and
// `startCognitoEmulator` from a script of that folder. Each token is verified with the
// emulator's own JWKS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { root } from '../scripts/lib/fleet.mjs';
import { dirSize, installedNames, npmInstall, pack, StepTimer } from './helpers/packed.js';

const PACKAGE_DIR = join(root, 'apps', 'cognito-emulator');
const NAME = 'cognito-m2m-emulator';

interface StarterPool {
  $schema: string;
  userPoolId: string;
  clients: { clientId: string; clientSecret: string }[];
}

/** What the consumer's script printed: its emulator's endpoints, a token and the key set. */
interface ApiRun {
  url: string;
  issuer: string;
  tokenUrl: string;
  jwksUrl: string;
  clients: { clientId: string; clientSecret: string | null; scopes: string[] }[];
  token: string;
  jwks: JSONWebKeySet;
  unknownClient: { name: string; code: string };
}

/** A consumer's script: startCognitoEmulator on `pool` (a JavaScript expression), a token, stop. */
const apiScript = (pool: string) => `import { startCognitoEmulator } from '${NAME}';

const cognito = await startCognitoEmulator({ pool: ${pool} });
const { clientId, clientSecret } = cognito.client('my-service');
const res = await fetch(cognito.tokenUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
});
const { access_token: token } = await res.json();
const jwks = await (await fetch(cognito.jwksUrl)).json();
let unknownClient;
try {
  cognito.client('nobody');
} catch (error) {
  unknownClient = { name: error.name, code: error.code };
}
const { url, issuer, tokenUrl, jwksUrl, clients } = cognito;
console.log(JSON.stringify({ url, issuer, tokenUrl, jwksUrl, clients, token, jwks, unknownClient }));
await cognito.stop();
`;

/** A consumer's pre token generation trigger: a fixed claim, and the tenant it is told of. */
const TRIGGER_MODULE = `export async function handler(event) {
  const tenant = event.request.clientMetadata?.tenant_id;
  event.response.claimsAndScopeOverrideDetails = {
    accessTokenGeneration: {
      claimsToAddOrOverride: { team: 'payments', ...(tenant && { tenant_id: tenant }) },
    },
  };
  return event;
}
`;

describe.skipIf(process.env.NEW_SERVICE_E2E === 'inner')(
  'the packed emulator, installed into an empty folder',
  () => {
    let dir: string;
    let pool: StarterPool;
    const children: ChildProcess[] = [];
    const timer = new StepTimer();
    const bin = () => join(dir, 'node_modules', '.bin', NAME);
    const run = (args: string[]) =>
      spawnSync(bin(), args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'emulator-package-e2e-'));
      const packed = timer.time('pack', () => pack(PACKAGE_DIR, dir));
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
      await timer.time('install', () => npmInstall(dir, [`./${packed.filename}`]));
      console.log(
        `[emulator package] ${timer.summary()}; node_modules ${(dirSize(join(dir, 'node_modules')) / 2 ** 20).toFixed(0)} MiB, ` +
          `${installedNames(dir).size} packages`,
      );
    }, 240_000);

    afterAll(() => {
      for (const child of children) child.kill('SIGKILL');
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('installs nothing of this repository but the tarball', () => {
      const lock = readFileSync(join(dir, 'package-lock.json'), 'utf8');
      expect(lock).not.toContain(root);
      const names = installedNames(dir);
      // Nor the library's Redis client or tracing SDK: the emulator runs without either.
      for (const name of [
        '@nest-m2m-cognito/auth',
        '@app/fleet-auth',
        '@opentelemetry/sdk-node',
        '@redis/client',
      ]) {
        expect(names).not.toContain(name);
      }
    });

    it('says how it is used, and refuses what it cannot run with a line naming it', () => {
      const help = run(['--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain(`Usage: ${NAME} [--pool <file>] [--port <n>]`);
      expect(help.stdout).toContain('init [file]');

      const noPool = run([]);
      expect(noPool.status).toBe(2);
      expect(noPool.stderr).toContain('no pool file: pass --pool <file>');
      const badPort = run(['--port', 'http']);
      expect(badPort.status).toBe(2);
      expect(badPort.stderr).toContain('--port must be an integer');
      const missing = run(['--pool', 'nowhere.json', '--port', '0']);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/cannot read pool file .*nowhere\.json/);
    });

    it('writes a starter pool that its shipped JSON Schema accepts, and never overwrites one', () => {
      const init = run(['init']);
      expect(init.status).toBe(0);
      expect(init.stdout).toContain('wrote pool.json');
      pool = JSON.parse(readFileSync(join(dir, 'pool.json'), 'utf8')) as StarterPool;
      expect(pool.$schema).toBe(`./node_modules/${NAME}/pool.schema.json`);
      expect(pool.clients[0].clientSecret).toMatch(/^[a-z0-9]{51}$/);
      // The secret is in the file only, never on the screen.
      expect(init.stdout).not.toContain(pool.clients[0].clientSecret);

      const schema = JSON.parse(readFileSync(join(dir, pool.$schema), 'utf8')) as object;
      const validate = addFormats.default(new Ajv2020({ strict: false })).compile(schema);
      expect(validate(pool)).toBe(true);
      expect(validate({ ...pool, clientz: [] })).toBe(false);

      const again = run(['init']);
      expect(again.status).toBe(1);
      expect(again.stderr).toContain('pool.json exists; init --force overwrites it');
    });

    /**
     * Runs `code` as the consumer's script `file` in the folder; it must end by itself (stop()
     * leaves nothing open) with status 0. Its output, and what its last line says.
     */
    function runScript(file: string, code: string): { api: ApiRun; stdout: string } {
      writeFileSync(join(dir, file), code);
      const result = spawnSync(process.execPath, [file], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
        timeout: 30_000,
      });
      expect(result.status, result.stderr).toBe(0);
      const api = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ApiRun;
      return { api, stdout: result.stdout };
    }

    /** The command on `poolFile` (relative to the folder) and an ephemeral port, once it listens. */
    async function serve(poolFile: string): Promise<{ child: ChildProcess; url: string }> {
      const child = spawn(bin(), ['--pool', poolFile, '--port', '0'], {
        cwd: dir,
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let output = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 30_000);
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /"user pool \S+ on (http:\/\/127\.0\.0\.1:\d+);/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)));
      });
      return { child, url };
    }

    /** A token of the starter pool's client, verified with the key set of the emulator at `url`. */
    async function verifiedToken(url: string, form: Record<string, string> = {}) {
      const issuer = `${url}/${pool.userPoolId}`;
      const [client] = pool.clients;
      const res = await fetch(`${url}/oauth2/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
      });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      const { payload } = await jwtVerify(
        access_token,
        createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)),
        { issuer, algorithms: ['RS256'] },
      );
      return payload;
    }

    it('serves the pool through its command: a token for its client, verified with its JWKS', async () => {
      expect(pool).toBeDefined();
      const { child, url } = await serve('pool.json');
      const payload = await verifiedToken(url);
      expect(payload).toMatchObject({
        client_id: 'my-service',
        sub: 'my-service',
        token_use: 'access',
        scope: 'my-api/read',
      });
      expect(payload.exp! - payload.iat!).toBe(3600);

      // SIGTERM: it closes and ends, by the signal (Nest's shutdown hooks raise it again).
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ?? code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
    });

    it('starts in a consumer script with startCognitoEmulator, on an ephemeral port, and stops', async () => {
      expect(pool).toBeDefined();
      const { api, stdout } = runScript('api-check.mjs', apiScript("'pool.json'"));
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.url).not.toMatch(/:4000$/);
      expect(api.issuer).toBe(`${api.url}/${pool.userPoolId}`);
      expect(api.tokenUrl).toBe(`${api.url}/oauth2/token`);
      expect(api.jwksUrl).toBe(`${api.issuer}/.well-known/jwks.json`);
      expect(api.clients).toEqual([
        {
          clientId: 'my-service',
          clientSecret: pool.clients[0].clientSecret,
          scopes: ['my-api/read'],
        },
      ]);
      expect(api.unknownClient).toEqual({ name: 'UnknownClientError', code: 'unknown_client' });
      const { payload, protectedHeader } = await jwtVerify(api.token, createLocalJWKSet(api.jwks), {
        issuer: api.issuer,
        algorithms: ['RS256'],
      });
      expect(protectedHeader.kid).toBeTruthy();
      expect(payload).toMatchObject({ client_id: 'my-service', token_use: 'access', version: 2 });
      // Quiet by default: a consumer's test output shows only what went wrong.
      expect(stdout.trim().split('\n')).toHaveLength(1);
    });

    it("runs the consumer's own V3 pre token generation trigger, its module named relative to the pool file", async () => {
      expect(pool).toBeDefined();
      // A pool file in a folder of its own, and the trigger module beside it (not in the
      // working directory): the path in the pool file is relative to the file.
      mkdirSync(join(dir, 'auth'), { recursive: true });
      writeFileSync(join(dir, 'auth', 'claims.mjs'), TRIGGER_MODULE);
      const withTrigger = (module: string) => ({
        ...pool,
        $schema: `../node_modules/${NAME}/pool.schema.json`,
        userPool: {
          lambdaConfig: { preTokenGenerationConfig: { lambdaVersion: 'V3_0', module } },
        },
      });
      writeFileSync(join(dir, 'auth', 'pool.json'), JSON.stringify(withTrigger('claims.mjs')));

      const { child, url } = await serve('auth/pool.json');
      const plain = await verifiedToken(url);
      expect(plain).toMatchObject({ client_id: 'my-service', team: 'payments' });
      expect(plain).not.toHaveProperty('tenant_id');
      const tenant = await verifiedToken(url, {
        aws_client_metadata: JSON.stringify({ tenant_id: 'acme' }),
      });
      expect(tenant).toMatchObject({
        client_id: 'my-service',
        team: 'payments',
        tenant_id: 'acme',
      });
      child.kill('SIGTERM');

      // The same pool given to startCognitoEmulator as an object: its module is then relative
      // to the script's working directory.
      const { issuer, token, jwks } = runScript(
        'trigger-check.mjs',
        apiScript(JSON.stringify(withTrigger('auth/claims.mjs'))),
      ).api;
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer });
      expect(payload).toMatchObject({ client_id: 'my-service', team: 'payments' });
    });
  },
);
