// "Move to real Cognito" as a user does it: deploy (here: the recorded outputs of a deploy),
// run the outputs-to-env script, start weather-api and the caller from dist/ with that file; the
// caller reads its clients' secrets from Secrets Manager (a loopback endpoint speaking its
// protocol, holding what the stack writes under the recorded ARNs). The emulator stands in for
// the deployed pool: it serves the definition under the recorded pool id and client ids and
// issues tokens under the pool's real issuer (https://cognito-idp.eu-west-1.amazonaws.com/<pool
// id>); the token URL points at it, and so does weather-api's key-set URL (AUTH_JWKS_URI over
// the env file), as AWS is not reachable.
import { loadPool, triggerModulePath, type PoolDocument } from '@app/fleet-auth';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fetchToken,
  freePort,
  INFRA_ENV_SCRIPT,
  launchService,
  root,
  type ServiceProcess,
  stopAll,
} from '../scripts/lib/fleet.mjs';
import { clientOutputKeys } from '../infra/src/output-keys.js';
import {
  recordedOutputs,
  RECORDED_SERVICES,
  RECORDED_STACK,
} from '../infra/test/recorded-outputs.js';
import { issuedTokens } from './helpers/process-fleet.js';
import { SecretsManagerServer } from './helpers/secrets-manager-server.js';

type Outputs = Record<string, string>;
let dir: string;
let envFile: string;
let outputs: Outputs;
/** Where weather-api fetches the pool's keys: the emulator, standing in for AWS's host. */
let jwksUri: string;
/** Secrets Manager, holding each client's secret under its recorded ARN. */
let secretsManager: SecretsManagerServer;
/** Each client's secret, as AWS generated it. */
const secrets: string[] = [];
const outsider = { id: 'outsider0client0not0listed', secret: randomBytes(24).toString('hex') };
const started: ServiceProcess[] = [];
const ports = { emulator: 0, api: 0, caller: 0 };
const url = (port: number) => `http://127.0.0.1:${port}`;

/** Starts `app` on `port` (its env file first in `nodeArgs`), and waits until it is ready. */
async function start(app: string, port: number, nodeArgs: string[], env: Record<string, string>) {
  const proc = await launchService(app, { port, nodeArgs, env: { LOG_LEVEL: 'warn', ...env } });
  started.push(proc);
  return proc;
}

/** `npm run infra:env` for the services the recording was made for (weather-api, the caller). */
function runScript(...args: string[]) {
  const services = RECORDED_SERVICES.flatMap((name) => ['--service', name]);
  return spawnSync(process.execPath, [INFRA_ENV_SCRIPT, ...args, ...services], {
    cwd: root,
    encoding: 'utf8',
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'infra-env-e2e-'));
  secretsManager = await SecretsManagerServer.start();
  const recorded = (await recordedOutputs(await loadPool(join(root, 'libs/fleet-auth/pool.json'))))[
    RECORDED_STACK
  ];
  [ports.emulator, ports.api, ports.caller] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];

  // The deployed pool: the definition with the ids and secrets AWS generated.
  const pool = JSON.parse(
    await readFile(join(root, 'libs/fleet-auth/pool.json'), 'utf8'),
  ) as PoolDocument & { clients: { clientId: string; clientSecret: string | null }[] };
  const deployedId = new Map<string, string>();
  // The copy names the demo trigger module by its absolute path (relative is to the pool file).
  const trigger = pool.userPool!.lambdaConfig!.preTokenGenerationConfig!;
  trigger.module = triggerModulePath(join(root, 'libs/fleet-auth/pool.json'), trigger.module);
  pool.userPoolId = recorded.UserPoolId;
  for (const client of pool.clients) {
    const keys = clientOutputKeys(client.clientId);
    deployedId.set(client.clientId, recorded[keys.clientId]);
    client.clientId = recorded[keys.clientId];
    if (client.clientSecret !== null) {
      client.clientSecret = randomBytes(24).toString('base64url');
      secrets.push(client.clientSecret);
      // What the stack writes: the client's JSON.
      secretsManager.createSecret(
        keys.secretArn,
        JSON.stringify({ clientId: client.clientId, clientSecret: client.clientSecret }),
        recorded[keys.secretArn],
      );
    }
  }
  for (const service of Object.values(pool.services ?? {})) {
    for (const [prefix, id] of Object.entries(service.clients ?? {})) {
      service.clients![prefix] = deployedId.get(id)!;
    }
  }
  // A client of the same pool with the read scope that no service of the definition uses.
  pool.clients.push({
    clientId: outsider.id,
    clientSecret: outsider.secret,
    allowedOAuthFlows: ['client_credentials'],
    allowedOAuthScopes: ['weather-api/forecast.read'],
  });
  const poolFile = join(dir, 'deployed-pool.json');
  await writeFile(poolFile, JSON.stringify(pool));
  const region = recorded.UserPoolId.split('_')[0];
  await start('cognito-emulator', ports.emulator, [], {
    COGNITO_EMULATOR_POOL_FILE: poolFile,
    COGNITO_EMULATOR_ISSUER_BASE: `https://cognito-idp.${region}.amazonaws.com`,
  });
  outputs = { ...recorded, TokenUrl: `${url(ports.emulator)}/oauth2/token` };
  jwksUri = `${url(ports.emulator)}/${recorded.UserPoolId}/.well-known/jwks.json`;
  await writeFile(join(dir, 'cdk-outputs.json'), JSON.stringify({ FleetAuth: outputs }));
  envFile = join(dir, '.env.cognito');
});

afterAll(async () => {
  await stopAll(started);
  await secretsManager?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('deploy -> npm run infra:env -> start', () => {
  it('writes the env file, and will not overwrite it without --force', () => {
    const first = runScript(join(dir, 'cdk-outputs.json'), envFile);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`wrote ${envFile}`);
    const again = runScript(join(dir, 'cdk-outputs.json'), envFile);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('exists (it may hold your changes): --force overwrites it');
  });

  it('holds no secret: each client by its secret ARN', async () => {
    const text = await readFile(envFile, 'utf8');
    expect(text).toContain(`\nOAUTH_CLIENT_SECRET_ARN=${outputs.WeatherCallerSecretArn}\n`);
    expect(text).toContain(`\nOAUTH_WRITE_CLIENT_SECRET_ARN=${outputs.WeatherAdminSecretArn}\n`);
    expect(text).not.toMatch(/_CLIENT_SECRET=/);
    for (const secret of secrets) expect(text).not.toContain(secret);
  });

  it('starts weather-api and the caller, which read their secrets and call each other', async () => {
    const text = await readFile(envFile, 'utf8');
    const production = { NODE_ENV: 'production' };
    // The env file names the pool (COGNITO_REGION, COGNITO_USER_POOL_ID), not an issuer URL.
    expect(text).toContain(`COGNITO_USER_POOL_ID=${outputs.UserPoolId}\n`);
    expect(text).not.toContain('AUTH_ISSUER');
    await start('weather-api', ports.api, ['--env-file', envFile], {
      ...production,
      AUTH_JWKS_URI: jwksUri,
    });
    // The SDK's credentials and endpoint, as a task role and AWS's endpoint would give them.
    await start('caller', ports.caller, ['--env-file', envFile], {
      ...production,
      WEATHER_API_URL: url(ports.api),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });

    const forecast = await fetch(`${url(ports.caller)}/forecast`);
    expect(forecast.status).toBe(200);
    const observation = await fetch(`${url(ports.caller)}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ date: '2030-06-01', temperatureC: 21, summary: 'Mild' }),
    });
    expect(observation.status).toBe(201);
    // Their secrets came from Secrets Manager, the only place that holds them.
    expect(secretsManager.calls).toContain('GetSecretValue');
    // One token each for the read and the write client, under the ids the outputs named.
    expect(await issuedTokens(url(ports.emulator), outputs.WeatherCallerClientId)).toBe(1);
    expect(await issuedTokens(url(ports.emulator), outputs.WeatherAdminClientId)).toBe(1);
  });

  it("makes weather-api refuse a pool client outside the definition's services (AUTH_CLIENT_IDS)", async () => {
    const token = await fetchToken(outputs.TokenUrl, outsider, 'weather-api/forecast.read');
    const res = await fetch(`${url(ports.api)}/weatherforecast`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
