// A client secret rotated under a running fleet, through the file source: three caller
// processes from dist/ share a real redis-server and keep calling (50 calls/s in all) while
// the secret of their read client is rotated with Cognito's two-secret operations, driven
// through the real AWS SDK against the emulator: a second secret added, written to the
// mounted file the way Kubernetes updates one (a ..data link swapped), the old one deleted.
// Counted where it costs, at the issuer: one more token request, none refused, no failed call.
import {
  AddUserPoolClientSecretCommand,
  CognitoIdentityProviderClient,
  DeleteUserPoolClientSecretCommand,
  ListUserPoolClientSecretsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchService,
  localWiring,
  pollUntil,
  type ServiceProcess,
  stopAll,
  tokenRequests,
} from '../scripts/lib/fleet.mjs';
import { issuedTokens, READ_CLIENT, TEST_ENV } from './helpers/process-fleet.js';
import { RedisServer } from './helpers/redis-server.js';

// In a JSON log line, so the quotes are escaped.
const CHANGED = /client secret of \\"weather-caller\\" changed \(file\)/;
const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/;

/**
 * A secret mounted as Kubernetes mounts one: `<dir>/client-secret` -> `..data/client-secret`,
 * `..data` -> a folder per version, swapped atomically (a new link renamed over it).
 */
class MountedSecret {
  private version = 0;
  constructor(readonly dir: string) {}

  get path() {
    return join(this.dir, 'client-secret');
  }

  async write(secret: string) {
    this.version += 1;
    const folder = `..2030_01_01_00_00_0${this.version}.${this.version}`;
    await mkdir(join(this.dir, folder), { recursive: true });
    await writeFile(join(this.dir, folder, 'client-secret'), `${secret}\n`, { mode: 0o600 });
    await symlink(folder, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    if (this.version === 1) await symlink(join('..data', 'client-secret'), this.path);
  }
}

describe('a client secret rotated under three callers sharing one Redis', () => {
  const started: ServiceProcess[] = [];
  let dir: string;
  let redis: RedisServer;
  let emulator: ServiceProcess;
  let callers: ServiceProcess[];
  let cognito: CognitoIdentityProviderClient;
  let shared: MountedSecret;
  let lagging: MountedSecret;

  const POOL = 'us-east-1_Weather01';
  const refused = () =>
    tokenRequests(emulator.url, READ_CLIENT.id).then(
      async (all) => all - (await issuedTokens(emulator.url, READ_CLIENT.id)),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-rotation-e2e-'));
    redis = await RedisServer.start();
    emulator = await launchService('cognito-emulator', {
      env: {
        ...TEST_ENV,
        COGNITO_EMULATOR_ADMIN: 'true',
        COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json'),
      },
    });
    started.push(emulator);
    const urls = { 'cognito-emulator': emulator.url };
    const api = await launchService('weather-api', {
      env: { ...TEST_ENV, ...localWiring('weather-api', urls) },
    });
    started.push(api);
    cognito = new CognitoIdentityProviderClient({
      endpoint: emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    shared = new MountedSecret(join(dir, 'mounted'));
    lagging = new MountedSecret(join(dir, 'mounted-late'));
    await shared.write(READ_CLIENT.secret);
    await lagging.write(READ_CLIENT.secret);
    const env = {
      ...TEST_ENV,
      ...localWiring('caller', { ...urls, 'weather-api': api.url }),
      OAUTH_CLIENT_SECRET: '',
      TOKEN_CACHE_REDIS_URL: redis.url,
    };
    // Two read the mounted file every replica shares; the third its own, updated late (a
    // node whose kubelet has not synced yet).
    callers = await Promise.all(
      [shared, shared, lagging].map((mount) =>
        launchService('caller', { env: { ...env, OAUTH_CLIENT_SECRET_FILE: mount.path } }),
      ),
    );
    started.push(...callers);
  });

  afterAll(async () => {
    cognito?.destroy();
    await stopAll(started, 2000);
    await redis?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('50 calls/s throughout: no call fails, one more token request for the fleet, none refused', async () => {
    expect(await issuedTokens(emulator.url, READ_CLIENT.id)).toBe(1);
    const statuses: number[] = [];
    let calling = true;
    const load = (async () => {
      const pending: Promise<void>[] = [];
      for (let i = 0; calling; i += 1) {
        const caller = callers[i % callers.length];
        pending.push(
          fetch(`${caller.url}/forecast`, { signal: AbortSignal.timeout(10_000) }).then(
            async (res) => {
              await res.arrayBuffer();
              statuses.push(res.status);
            },
            () => void statuses.push(0),
          ),
        );
        await new Promise((r) => setTimeout(r, 20)); // 50 per second
      }
      await Promise.all(pending);
    })();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await sleep(1_500);
      // 1. Cognito gets a second secret; 2. it is published where the callers read it.
      const added = await cognito.send(
        new AddUserPoolClientSecretCommand({ UserPoolId: POOL, ClientId: READ_CLIENT.id }),
      );
      const rotated = added.ClientSecretDescriptor?.ClientSecretValue;
      expect(rotated).toMatch(/^\w{24,}$/);
      await shared.write(rotated!);
      // The two on the shared mount see it (a stat a second at most) and move to it.
      const moved = (c: ServiceProcess) => CHANGED.test(c.output);
      expect(
        await pollUntil(() => moved(callers[0]) && moved(callers[1]), { timeoutMs: 10_000 }),
      ).toBe(true);
      expect(
        await pollUntil(async () => (await issuedTokens(emulator.url, READ_CLIENT.id)) === 2, {
          timeoutMs: 10_000,
        }),
      ).toBe(true);
      await sleep(1_000);
      // 3. The old secret is deleted: from now on only the new one gets a token.
      const { ClientSecrets } = await cognito.send(
        new ListUserPoolClientSecretsCommand({ UserPoolId: POOL, ClientId: READ_CLIENT.id }),
      );
      expect(ClientSecrets).toHaveLength(2);
      await cognito.send(
        new DeleteUserPoolClientSecretCommand({
          UserPoolId: POOL,
          ClientId: READ_CLIENT.id,
          ClientSecretId: ClientSecrets![0].ClientSecretId,
        }),
      );
      await sleep(1_500);
      // The third replica still holds the old secret and a token it got with it: it serves.
      expect(moved(callers[2])).toBe(false);
      // Its mount catches up: it reads its file again and takes the fleet's token.
      await lagging.write(rotated!);
      expect(await pollUntil(() => moved(callers[2]), { timeoutMs: 10_000 })).toBe(true);
      await sleep(1_500);
    } finally {
      calling = false;
      await load;
    }
    expect(statuses.length).toBeGreaterThan(200);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await issuedTokens(emulator.url, READ_CLIENT.id)).toBe(2);
    expect(await refused()).toBe(0);

    // Every replica serves the token of the new secret.
    const again = await Promise.all(callers.map((c) => fetch(`${c.url}/forecast`)));
    expect(again.map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('no caller logged the secret, the new secret, a token or the Redis URL', async () => {
    const rotated = (await readFile(shared.path, 'utf8')).trim();
    for (const c of callers) {
      expect(c.output.length).toBeGreaterThan(0);
      expect(c.output).not.toContain(READ_CLIENT.secret);
      expect(c.output).not.toContain(rotated);
      expect(c.output).not.toMatch(JWT);
      expect(c.output).not.toContain(redis.url);
    }
  });
});
