// The drift test: the pool the emulator serves and the template the CDK app synthesises must
// describe the same user pool settings, resource servers, scopes and clients, down to every
// client setting the emulator honours. Both read libs/fleet-auth/pool.json by default
// (COGNITO_EMULATOR_POOL_FILE's default; cdk.json's "definition" context).
import {
  loadPool,
  tokenValiditySeconds,
  triggerModulePath,
  type PoolDocument,
  type TimeUnit,
} from '@app/fleet-auth';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator } from '../apps/cognito-emulator/src/bootstrap.js';
import { PoolStore } from '../apps/cognito-emulator/src/pool/pool-store.js';
import { cdkJsonContext, fleetAuthStack } from '../infra/src/fleet-auth.app.js';

interface Described {
  userPool: { name: string; deletionProtection: string; adminCreateUserOnly: boolean };
  resourceServers: { identifier: string; name: string; scopes: string[] }[];
  clients: {
    name: string;
    secret: boolean;
    oauthFlows: string[];
    authFlows: string[];
    scopes: string[];
    accessTokenSeconds: number;
    idTokenSeconds: number;
    refreshTokenSeconds: number;
    tokenRevocation: boolean;
    preventUserExistenceErrors: string;
    callbackURLs: string[];
    logoutURLs: string[];
  }[];
}

const SECONDS: Record<TimeUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
const byName = <T extends { name: string }>(items: T[]) =>
  items.sort((a, b) => a.name.localeCompare(b.name));

/** What the emulator serves: the pool store every endpoint reads. */
function fromEmulator(pool: PoolStore): Described {
  return {
    userPool: {
      name: pool.userPoolName,
      deletionProtection: pool.settings.deletionProtection,
      adminCreateUserOnly: pool.settings.allowAdminCreateUserOnly,
    },
    resourceServers: byName(
      pool.resourceServers().map((rs) => ({
        identifier: rs.identifier,
        name: rs.name,
        scopes: rs.scopes.map((s) => s.name).sort(),
      })),
    ),
    clients: byName(
      pool.clients().map((c) => ({
        name: c.clientName || c.clientId,
        secret: c.clientSecret !== null,
        oauthFlows: [...c.allowedOAuthFlows].sort(),
        authFlows: [...c.explicitAuthFlows].sort(),
        scopes: [...c.allowedOAuthScopes].sort(),
        accessTokenSeconds: tokenValiditySeconds(c, 'accessToken'),
        idTokenSeconds: tokenValiditySeconds(c, 'idToken'),
        refreshTokenSeconds: tokenValiditySeconds(c, 'refreshToken'),
        tokenRevocation: c.enableTokenRevocation,
        preventUserExistenceErrors: c.preventUserExistenceErrors,
        callbackURLs: [...c.callbackURLs].sort(),
        logoutURLs: [...c.logoutURLs].sort(),
      })),
    ),
  };
}

type Props = Record<string, unknown>;
/** What a deploy of the template creates. */
function fromTemplate(template: Record<string, unknown>): Described {
  const resources = Object.values(
    template.Resources as Record<string, { Type: string; Properties: Props }>,
  );
  const of = (type: string) => resources.filter((r) => r.Type === type).map((r) => r.Properties);
  const list = (value: unknown) => [...((value as string[] | undefined) ?? [])].sort();
  const [pool] = of('AWS::Cognito::UserPool');
  return {
    userPool: {
      name: pool.UserPoolName as string,
      deletionProtection: pool.DeletionProtection as string,
      adminCreateUserOnly: (pool.AdminCreateUserConfig as { AllowAdminCreateUserOnly: boolean })
        .AllowAdminCreateUserOnly,
    },
    resourceServers: byName(
      of('AWS::Cognito::UserPoolResourceServer').map((p) => ({
        identifier: p.Identifier as string,
        name: p.Name as string,
        scopes: (p.Scopes as { ScopeName: string }[]).map((s) => s.ScopeName).sort(),
      })),
    ),
    clients: byName(
      of('AWS::Cognito::UserPoolClient').map((p) => {
        const units = p.TokenValidityUnits as Record<
          'AccessToken' | 'IdToken' | 'RefreshToken',
          TimeUnit
        >;
        return {
          name: p.ClientName as string,
          secret: p.GenerateSecret === true,
          oauthFlows: list(p.AllowedOAuthFlows),
          authFlows: list(p.ExplicitAuthFlows),
          scopes: list(p.AllowedOAuthScopes),
          accessTokenSeconds: (p.AccessTokenValidity as number) * SECONDS[units.AccessToken],
          idTokenSeconds: (p.IdTokenValidity as number) * SECONDS[units.IdToken],
          refreshTokenSeconds: (p.RefreshTokenValidity as number) * SECONDS[units.RefreshToken],
          tokenRevocation: p.EnableTokenRevocation as boolean,
          preventUserExistenceErrors: p.PreventUserExistenceErrors as string,
          callbackURLs: list(p.CallbackURLs),
          logoutURLs: list(p.LogoutURLs),
        };
      }),
    ),
  };
}

/** What an emulator started with `env` serves (its default pool file unless told). */
async function emulatorServes(env: Record<string, string> = {}): Promise<Described> {
  const emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn', ...env });
  try {
    return fromEmulator(emulator.app.get(PoolStore));
  } finally {
    await emulator.close();
  }
}

/** The template `cdk synth` writes, for the definition `file` (cdk.json's, unless told). */
async function synthesised(file?: string): Promise<Record<string, unknown>> {
  const context = await cdkJsonContext();
  const definition = file ?? resolve('infra', String(context.definition));
  const app = new App({ analyticsReporting: false, context });
  return Template.fromStack(fleetAuthStack(app, await loadPool(definition))).toJSON();
}

let dir: string;
let shippedTemplate: Record<string, unknown>;
let shippedServed: Described;

// One emulator boot and one synthesis for the shipped definition, shared by the tests.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-auth-drift-'));
  shippedTemplate = await synthesised();
  shippedServed = await emulatorServes();
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('one definition, two readers: emulator and CDK stack', () => {
  it('describe the same resource servers, scopes and clients for the shipped definition', () => {
    const served = shippedServed;
    expect(fromTemplate(shippedTemplate)).toEqual(served);
    // The demo fleet's parts (`npm run new:service` may have added others).
    expect(served.resourceServers).toContainEqual({
      identifier: 'weather-api',
      name: 'Weather API',
      scopes: ['forecast.read', 'forecast.write'],
    });
    expect(served.clients.map((c) => c.name)).toEqual(
      expect.arrayContaining(['Weather admin', 'Weather caller', 'Weather web']),
    );
  });

  it('change together when the definition changes: a new scope, a new client, a code-flow client', async () => {
    const doc = JSON.parse(await readFile('libs/fleet-auth/pool.json', 'utf8')) as PoolDocument;
    // The copy names the demo trigger module by its absolute path (relative is to the pool file).
    const trigger = doc.userPool!.lambdaConfig!.preTokenGenerationConfig!;
    trigger.module = triggerModulePath('libs/fleet-auth/pool.json', trigger.module);
    doc.resourceServers![0].scopes.push({ name: 'forecast.audit', description: 'Audit forecasts' });
    doc.clients.push({
      clientId: 'weather-auditor',
      clientSecret: 'auditor-dev-secret',
      allowedOAuthFlows: ['client_credentials'],
      allowedOAuthScopes: ['weather-api/forecast.audit'],
      accessTokenValidity: 15,
      tokenValidityUnits: { accessToken: 'minutes' },
      idTokenValidity: 15,
      refreshTokenValidity: 1,
      preventUserExistenceErrors: 'LEGACY',
    });
    Object.assign(doc.clients[2], {
      allowedOAuthFlows: ['code'],
      allowedOAuthScopes: ['openid'],
      callbackURLs: ['https://web.example.com/callback'],
      logoutURLs: ['https://web.example.com/'],
    });
    const file = join(dir, 'changed.json');
    await writeFile(file, JSON.stringify(doc));

    const served = await emulatorServes({ COGNITO_EMULATOR_POOL_FILE: file });
    const deployed = fromTemplate(await synthesised(file));
    expect(deployed).toEqual(served);
    expect(served.resourceServers.find((rs) => rs.identifier === 'weather-api')?.scopes).toContain(
      'forecast.audit',
    );
    expect(served.clients).toContainEqual({
      name: 'weather-auditor',
      secret: true,
      oauthFlows: ['client_credentials'],
      authFlows: [],
      scopes: ['weather-api/forecast.audit'],
      accessTokenSeconds: 900,
      idTokenSeconds: 15 * 3600,
      refreshTokenSeconds: 86400,
      tokenRevocation: true,
      preventUserExistenceErrors: 'LEGACY',
      callbackURLs: [],
      logoutURLs: [],
    });
    expect(served.clients.find((c) => c.name === 'Weather web')).toMatchObject({
      oauthFlows: ['code'],
      callbackURLs: ['https://web.example.com/callback'],
    });
    // ...and neither still matches the shipped other side: a one-sided edit is drift.
    expect(fromTemplate(shippedTemplate)).not.toEqual(served);
  });

  it('fails on a hand edit of the template', () => {
    const served = shippedServed;
    const edited = structuredClone(shippedTemplate) as {
      Resources: Record<string, { Type: string; Properties: Props }>;
    };
    const client = Object.values(edited.Resources).find(
      (r) => r.Properties.ClientName === 'Weather caller',
    )!;
    client.Properties.AllowedOAuthScopes = [
      'weather-api/forecast.read',
      'weather-api/forecast.write',
    ];
    expect(fromTemplate(edited)).not.toEqual(served);
    const server = Object.values(edited.Resources).find(
      (r) => r.Type === 'AWS::Cognito::UserPoolResourceServer',
    )!;
    client.Properties.AllowedOAuthScopes = ['weather-api/forecast.read'];
    expect(fromTemplate(edited)).toEqual(served);
    (server.Properties.Scopes as object[]).push({
      ScopeName: 'forecast.delete',
      ScopeDescription: 'x',
    });
    expect(fromTemplate(edited)).not.toEqual(served);
    (server.Properties.Scopes as object[]).pop();
    expect(fromTemplate(edited)).toEqual(served);
    const pool = Object.values(edited.Resources).find((r) => r.Type === 'AWS::Cognito::UserPool')!;
    pool.Properties.DeletionProtection = 'INACTIVE';
    expect(fromTemplate(edited)).not.toEqual(served);
  });

  it.each([
    ['the ID-token validity', { IdTokenValidity: 120 }],
    ['token revocation', { EnableTokenRevocation: false }],
    ['user-existence errors', { PreventUserExistenceErrors: 'LEGACY' }],
    ['a callback URL', { CallbackURLs: ['https://elsewhere.example.com/cb'] }],
  ])('fails on a hand edit of a client setting the emulator honours: %s', (_, edit) => {
    const served = shippedServed;
    const edited = structuredClone(shippedTemplate) as {
      Resources: Record<string, { Type: string; Properties: Props }>;
    };
    expect(fromTemplate(edited)).toEqual(served);
    Object.assign(
      Object.values(edited.Resources).find((r) => r.Properties.ClientName === 'Weather web')!
        .Properties,
      edit,
    );
    expect(fromTemplate(edited)).not.toEqual(served);
  });
});
