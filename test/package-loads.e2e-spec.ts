// Which optional packages each service loads at start-up, as its own process from dist/.
// @nestjs/swagger is installed for weather-api's docs page; the library must not make every
// other service of a fleet load it too (terminus's @HealthCheck requires it when present).
import { join } from 'node:path';
import { launchService, localWiring, root, type ServiceProcess } from '../scripts/lib/fleet.mjs';
import { TEST_ENV } from './helpers/process-fleet.js';

const HOOK = join(root, 'test', 'helpers', 'report-package-loads.mjs');
const REPORTING = {
  NODE_OPTIONS: `--import=${JSON.stringify(HOOK)}`,
  // @redis/client: none loads it without a token cache or revocation list in Redis.
  REPORT_PACKAGE_LOADS: '@nestjs/swagger,@nestjs/terminus,@redis/client',
};
const loaded = (service: ServiceProcess) =>
  [...service.output.matchAll(/^\[package-load\] (\S+)$/gm)].map((m) => m[1]).sort();

describe('packages loaded at start-up', () => {
  const services: ServiceProcess[] = [];
  let emulator: ServiceProcess;
  let api: ServiceProcess;
  let caller: ServiceProcess;

  beforeAll(async () => {
    const start = (app: string, env: Record<string, string>) =>
      launchService(app, { env: { ...TEST_ENV, ...REPORTING, ...env }, until: 'live' });
    emulator = await start('cognito-emulator', {});
    services.push(emulator);
    const urls = { 'cognito-emulator': emulator.url };
    api = await start('weather-api', localWiring('weather-api', urls));
    services.push(api);
    caller = await start('caller', localWiring('caller', { ...urls, 'weather-api': api.url }));
    services.push(caller);
  });
  afterAll(async () => {
    for (const service of services.reverse()) await service.stop();
  });

  it('loads @nestjs/swagger only in weather-api, which serves docs', async () => {
    // The hook reports: every service loads terminus for its probes.
    expect(loaded(emulator)).toEqual(['@nestjs/terminus']);
    expect(loaded(caller)).toEqual(['@nestjs/terminus']);
    expect(loaded(api)).toEqual(['@nestjs/swagger', '@nestjs/terminus']);
    // The probes answer as before, without Swagger's decorators.
    for (const service of [emulator, api, caller]) {
      const res = await fetch(`${service.url}/health/live`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    }
  });
});
