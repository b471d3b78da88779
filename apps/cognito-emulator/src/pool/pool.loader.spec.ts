import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from './pool.schema.js';
import { loadPool, parsePool, PoolFileError } from './pool.loader.js';
import { PoolStore } from './pool-store.js';

const shipped = new URL('../../pool.json', import.meta.url);

async function demo(): Promise<Pool> {
  return JSON.parse(await readFile(shipped, 'utf8')) as Pool;
}

function errorOf(fn: () => unknown): PoolFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PoolFileError);
    return e as PoolFileError;
  }
  throw new Error('expected a PoolFileError');
}

describe('pool file', () => {
  it('ships the demo pool the fleet defaults rely on', async () => {
    const pool = await loadPool(shipped.pathname);
    expect(pool.userPoolId).toBe('us-east-1_Weather01');
    expect(pool.resourceServers[0].scopes.map((s) => s.name)).toEqual([
      'forecast.read',
      'forecast.write',
    ]);
    const byId = Object.fromEntries(pool.clients.map((c) => [c.clientId, c]));
    expect(byId['weather-caller'].clientSecret).toBe('weather-caller-dev-secret');
    expect(byId['weather-caller'].allowedOAuthScopes).toEqual(['weather-api/forecast.read']);
    expect(byId['weather-admin'].allowedOAuthScopes).toHaveLength(2);
    expect(byId['weather-web'].clientSecret).toBeNull();
    expect(byId['weather-web'].explicitAuthFlows).toEqual([
      'ALLOW_USER_PASSWORD_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
    ]);
    expect(pool.users[0].username).toBe('alice');
    expect(new PoolStore(pool).maxTokenValiditySeconds()).toBe(3600);
  });

  it.each([
    [299, 'clients[1].accessTokenValiditySeconds: must be between 300 and 86400'],
    [86401, 'clients[1].accessTokenValiditySeconds: must be between 300 and 86400'],
    [600.5, 'clients[1].accessTokenValiditySeconds: must be between 300 and 86400'],
    ['3600', 'clients[1].accessTokenValiditySeconds: must be between 300 and 86400'],
  ])('rejects a validity of %j, naming the field', async (validity, message) => {
    const doc = await demo();
    Object.assign(doc.clients[1], { accessTokenValiditySeconds: validity });
    expect(errorOf(() => parsePool(doc)).message).toContain(message);
  });

  it.each(['local_weather', 'us-east-1-Weather01', 'us-east-1_', 'US-EAST-1_abc', 'us-east-1_a-b'])(
    'refuses the pool id %j, saying what a Cognito pool id looks like',
    async (id) => {
      const doc = await demo();
      doc.userPoolId = id;
      expect(errorOf(() => parsePool(doc)).message).toContain(
        'userPoolId: must be a Cognito user pool id, "<region>_<letters and digits>"',
      );
    },
  );

  it.each(['eu-west-1_AbCdEf123', 'ap-southeast-2_x1', 'us-gov-west-1_Z'])(
    'accepts the pool id %j',
    async (id) => {
      const doc = await demo();
      doc.userPoolId = id;
      expect(parsePool(doc).userPoolId).toBe(id);
    },
  );

  it('accepts the bounds 300 and 86400', async () => {
    const doc = await demo();
    doc.clients[0].accessTokenValiditySeconds = 300;
    doc.clients[1].accessTokenValiditySeconds = 86400;
    expect(new PoolStore(parsePool(doc)).maxTokenValiditySeconds()).toBe(86400);
  });

  it('names a scope no resource server declares', async () => {
    const doc = await demo();
    doc.clients[0].allowedOAuthScopes.push('weather-api/forecast.delete');
    expect(errorOf(() => parsePool(doc)).message).toContain(
      'clients[0].allowedOAuthScopes[1]: unknown scope "weather-api/forecast.delete"',
    );
  });

  it('refuses client credentials without a secret and duplicate client ids', async () => {
    const doc = await demo();
    doc.clients[2].allowedOAuthFlows = ['client_credentials'];
    doc.clients[2].allowedOAuthScopes = ['weather-api/forecast.read'];
    doc.clients[1].clientId = 'weather-caller';
    const { message } = errorOf(() => parsePool(doc));
    expect(message).toContain('clients[2].clientSecret: client_credentials needs a client secret');
    expect(message).toContain('clients[1].clientId: duplicate client id "weather-caller"');
  });

  it('rejects unknown keys (a typo must not silently fall back to a default)', async () => {
    const doc = await demo();
    Object.assign(doc.clients[0], { accessTokenValidity: 600 });
    expect(errorOf(() => parsePool(doc)).message).toMatch(/clients\[0\].*accessTokenValidity/);
  });

  it('names the file when it is missing or not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-'));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ not json');
    await expect(loadPool(bad)).rejects.toThrow(
      /COGNITO_EMULATOR_POOL_FILE: .*bad\.json is not valid JSON/,
    );
    await expect(loadPool(join(dir, 'missing.json'))).rejects.toMatchObject({
      code: 'POOL_FILE_INVALID',
    });
  });
});
