// Which optional packages each service loads at start-up, as its own process from dist/.
// @nestjs/swagger is installed for weather-api's docs page; the library must not make every
// other service of a fleet load it too (terminus's @HealthCheck requires it when present).
import { join } from 'node:path';
import { root } from '../scripts/lib/fleet.mjs';
import { callerEnv } from './helpers/process-fleet.js';
import { type ServiceProcess, startService } from './helpers/service-process.js';

const HOOK = join(root, 'test', 'helpers', 'report-package-loads.mjs');
const REPORTING = {
  NODE_OPTIONS: `--import=${JSON.stringify(HOOK)}`,
  REPORT_PACKAGE_LOADS: '@nestjs/swagger,@nestjs/terminus',
};
const loaded = (service: ServiceProcess) =>
  [...service.proc.output.matchAll(/^\[package-load\] (\S+)$/gm)].map((m) => m[1]).sort();

describe('packages loaded at start-up', () => {
  const services: ServiceProcess[] = [];
  let emulator: ServiceProcess;
  let api: ServiceProcess;
  let caller: ServiceProcess;

  beforeAll(async () => {
    emulator = await startService('cognito-emulator', REPORTING);
    services.push(emulator);
    api = await startService('weather-api', {
      ...REPORTING,
      AUTH_ISSUER: `${emulator.url}/us-east-1_Weather01`,
    });
    services.push(api);
    caller = await startService('caller', {
      ...REPORTING,
      ...callerEnv(api.url, `${emulator.url}/oauth2/token`),
    });
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
