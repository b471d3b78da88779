import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseEnv } from 'node:util';
import { loadPool, type Pool } from '../../libs/fleet-auth/src/index.js';
import { recordedOutputs, RECORDED_SERVICES } from '../test/recorded-outputs.js';
import { cdkJsonContext, fleetAuthStack } from './fleet-auth.app.js';
import { envFromOutputs, stackOutputs } from './outputs-to-env.js';

// A `cdk deploy --outputs-file` document in the format the CLI writes, with illustrative
// values (this repository has no AWS account to record a real one from).
const CALLER_ID = '4k2hq9xbr7u1c5ehsm0n3fj6dl';
const ADMIN_ID = '7fn1m4rq2c8h0vxk9etw3sz5ua';

let definition: Pool;
let recorded: Record<string, Record<string, string>>;
let synthesised: Record<string, unknown>;
/** Every demo client holding a weather-api scope: both caller clients and the two M2M ones. */
let weatherApiClients: string;

// One synthesis (about a second; more on a busy machine, hence the hook's own timeout).
beforeAll(async () => {
  definition = await loadPool('libs/fleet-auth/pool.json');
  recorded = await recordedOutputs(definition);
  const { WeatherSdkCallerClientId: sdk, WeatherTenantCallerClientId: tenant } = recorded.FleetAuth;
  weatherApiClients = [CALLER_ID, ADMIN_ID, sdk, tenant].join(',');
  const app = new App({ analyticsReporting: false, context: await cdkJsonContext() });
  synthesised = Template.fromStack(fleetAuthStack(app, definition)).toJSON().Outputs as Record<
    string,
    unknown
  >;
}, 60_000);

describe('outputs to environment', () => {
  it('has exactly the outputs the stack synthesises from the shipped definition', () => {
    expect(Object.keys(recorded.FleetAuth).sort()).toEqual(Object.keys(synthesised).sort());
  });

  it("writes each service's variables from the recorded outputs, and no secret", () => {
    const text = envFromOutputs(definition, stackOutputs(recorded), RECORDED_SERVICES);
    expect(parseEnv(text)).toEqual({
      AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
      AUTH_TOKEN_URL: 'https://weather-fleet-example.auth.eu-west-1.amazoncognito.com/oauth2/token',
      AUTH_CLIENT_IDS: weatherApiClients,
      OAUTH_TOKEN_URL:
        'https://weather-fleet-example.auth.eu-west-1.amazoncognito.com/oauth2/token',
      OAUTH_CLIENT_ID: CALLER_ID,
      OAUTH_SCOPES: 'weather-api/forecast.read',
      OAUTH_CLIENT_SECRET: '',
      OAUTH_WRITE_CLIENT_ID: ADMIN_ID,
      OAUTH_WRITE_SCOPES: 'weather-api/forecast.read weather-api/forecast.write',
      OAUTH_WRITE_CLIENT_SECRET: '',
    });
    // Beside each empty secret: its ARN and the one command that reads it.
    const arn = recorded.FleetAuth.WeatherCallerSecretArn;
    expect(text).toContain(
      `#   aws secretsmanager get-secret-value --secret-id ${arn} --query SecretString --output text\nOAUTH_CLIENT_SECRET=\n`,
    );
    expect(text).toMatch(/^# --- weather-api ---\nAUTH_ISSUER=/m);
    expect(text).toMatch(/^# --- caller ---\nOAUTH_TOKEN_URL=/m);
    for (const c of definition.clients)
      if (c.clientSecret) expect(text).not.toContain(c.clientSecret);
  });

  it('allows, on the resource server, the clients of any service that hold one of its scopes', () => {
    const doc = structuredClone(definition);
    doc.services = { 'weather-api': doc.services['weather-api'] };
    const env = parseEnv(envFromOutputs(doc, stackOutputs(recorded)));
    expect(env).toEqual({
      AUTH_ISSUER: expect.any(String),
      AUTH_TOKEN_URL: expect.any(String),
      AUTH_CLIENT_IDS: weatherApiClients,
    });
  });

  it('names the missing output and the command that produces it', () => {
    const { WeatherAdminSecretArn: _, ...partial } = recorded.FleetAuth;
    expect(() =>
      envFromOutputs(definition, { stack: 'FleetAuth', outputs: partial }, RECORDED_SERVICES),
    ).toThrow(
      'output WeatherAdminSecretArn missing: deploy the stack from this definition (npm run infra:deploy)',
    );
  });

  it('writes one file for several services only where they agree, and names the services it has', async () => {
    // A second resource server, served by its own service, allowing another client.
    const doc = structuredClone(definition);
    doc.resourceServers.push({
      identifier: 'stock-api',
      name: 'Stock API',
      scopes: [{ name: 'items.read', description: '' }],
    });
    doc.clients.push({
      ...doc.clients[0],
      clientId: 'stock-reader',
      allowedOAuthScopes: ['stock-api/items.read'],
    });
    doc.services['stock-api'] = { resourceServers: ['stock-api'], clients: {} };
    const outputs = stackOutputs(await recordedOutputs(doc));
    expect(() => envFromOutputs(doc, outputs, ['weather-api', 'stock-api'])).toThrow(
      'weather-api and stock-api need different AUTH_CLIENT_IDS values: write one env file per service (--service weather-api, --service stock-api)',
    );
    // One file each: each resource server allows exactly its own clients.
    expect(parseEnv(envFromOutputs(doc, outputs, ['weather-api'])).AUTH_CLIENT_IDS).toBe(
      weatherApiClients,
    );
    expect(parseEnv(envFromOutputs(doc, outputs, ['stock-api'])).AUTH_CLIENT_IDS).toBe(
      outputs.outputs.StockReaderClientId,
    );
    expect(() => envFromOutputs(doc, outputs, ['billing'])).toThrow(
      'no service "billing" in the definition (it has weather-api, caller',
    );
  });

  it('picks the only stack, or the one named, and says which stacks there are', () => {
    expect(stackOutputs(recorded).stack).toBe('FleetAuth');
    const two = { ...recorded, Other: { TokenUrl: 'x' } };
    expect(() => stackOutputs(two)).toThrow(
      'name the stack (--stack): the file has FleetAuth, Other',
    );
    expect(stackOutputs(two, 'Other').outputs).toEqual({ TokenUrl: 'x' });
    expect(() => stackOutputs(two, 'Prod')).toThrow('no stack "Prod" in the file');
    expect(() => stackOutputs([])).toThrow('not a cdk outputs file');
  });
});
