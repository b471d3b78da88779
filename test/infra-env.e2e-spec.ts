// "Move to real Cognito" as a user does it: deploy (here: the recorded outputs of a deploy),
// run the outputs-to-env script, fill in the secrets, start weather-api and the caller from
// dist/ with that file. The emulator stands in for the deployed pool: it serves the definition
// under the recorded pool id and client ids, so only the three URLs of the outputs differ.
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

type Outputs = Record<string, string>;
let dir: string;
let envFile: string;
let outputs: Outputs;
/** Secrets Manager, as far as this test needs it: secret ARN -> the client's secret. */
const secretsManager = new Map<string, string>();
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
      secretsManager.set(recorded[keys.secretArn], client.clientSecret);
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
  await start('cognito-emulator', ports.emulator, [], { COGNITO_EMULATOR_POOL_FILE: poolFile });

  const issuer = `${url(ports.emulator)}/${recorded.UserPoolId}`;
  outputs = {
    ...recorded,
    TokenUrl: `${url(ports.emulator)}/oauth2/token`,
    Issuer: issuer,
    JwksUri: `${issuer}/.well-known/jwks.json`,
  };
  await writeFile(join(dir, 'cdk-outputs.json'), JSON.stringify({ FleetAuth: outputs }));
  envFile = join(dir, '.env.cognito');
});

afterAll(async () => {
  await stopAll(started);
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
    expect(again.stderr).toContain('exists (its secrets may be filled in): --force overwrites it');
  });

  it('stops the caller at start-up, naming the secret still to fill in', async () => {
    const proc = await launchService('caller', {
      nodeArgs: ['--env-file', envFile],
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn' },
      until: false,
    });
    started.push(proc);
    const { code } = await proc.exit;
    expect(code).not.toBe(0);
    expect(proc.output).toContain('OAUTH_CLIENT_SECRET is required when OAUTH_CLIENT_ID is set');
  });

  it('with the secrets filled in, starts weather-api and the caller, which call each other', async () => {
    // What `aws secretsmanager get-secret-value --secret-id <arn>` does for the user.
    const text = await readFile(envFile, 'utf8');
    const filled = text.replace(
      /^# Secret in AWS Secrets Manager: (\S+)\n(#.*\n)(\w+_CLIENT_SECRET)=$/gm,
      (_, arn: string, command: string, name: string) =>
        `# Secret in AWS Secrets Manager: ${arn}\n${command}${name}=${secretsManager.get(arn)}`,
    );
    expect(filled.match(/_CLIENT_SECRET=\S+/g)).toHaveLength(2);
    await writeFile(envFile, filled);

    const production = { NODE_ENV: 'production' };
    await start('weather-api', ports.api, ['--env-file', envFile], production);
    await start('caller', ports.caller, ['--env-file', envFile], {
      ...production,
      WEATHER_API_URL: url(ports.api),
    });

    const forecast = await fetch(`${url(ports.caller)}/forecast`);
    expect(forecast.status).toBe(200);
    const observation = await fetch(`${url(ports.caller)}/observations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ date: '2030-06-01', temperatureC: 21, summary: 'Mild' }),
    });
    expect(observation.status).toBe(201);
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
