// What each app's production image holds: the Dockerfile's runtime stage installs the app's
// own package.json (scripts/lib/image-manifest.mjs: what its build imports and what Nest loads
// by name) with the root lock, which keeps those packages and what they need, nothing else.
// Here, without a Docker engine or an install, each app starts from this repository's dist/
// with every package outside that set refused (test/helpers/deny-packages.mjs), with tracing
// on (so its OpenTelemetry SDK must be in the set), and must become live; the set holds none of
// the other apps' packages.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, matchesGlob, relative } from 'node:path';
import { loadPool, triggerModulePath } from '@app/fleet-auth';
import { imageManifest, lockedClosure } from '../scripts/lib/image-manifest.mjs';
import {
  launchService,
  localWiring,
  root,
  SERVICES,
  type ServiceProcess,
} from '../scripts/lib/fleet.mjs';

const HOOK = join(root, 'test', 'helpers', 'deny-packages.mjs');
/** Packages an app's image must not hold: the other apps' own. */
const FOREIGN: Record<string, string[]> = {
  'weather-api': [
    'axios',
    '@aws-sdk/client-secrets-manager',
    '@nestjs/platform-fastify',
    'zod',
    '@peculiar/x509',
  ],
  caller: [
    'passport',
    'jwks-rsa',
    'lru-cache',
    '@nestjs/swagger',
    '@nestjs/platform-fastify',
    'zod',
  ],
  'cognito-emulator': [
    '@nestjs/platform-express',
    '@nestjs/swagger',
    'passport',
    'axios',
    '@redis/client',
    '@aws-sdk/client-secrets-manager',
  ],
};

/** Packages an app's image must hold beyond what starting it proves: loaded only when configured. */
const OWN: Record<string, string[]> = {
  // Its revocation list in Redis (AUTH_REVOCATION_REDIS_URL); its @nestjs/passport strategy.
  'weather-api': ['@redis/client', '@nestjs/passport', 'passport'],
  // Its shared token cache (TOKEN_CACHE_REDIS_URL).
  caller: ['@redis/client'],
};

describe('the production image of each app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-contents-'));
  const services: ServiceProcess[] = [];
  afterAll(async () => {
    for (const service of services) await service.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(SERVICES.map((s) => s.app))(
    '%s holds only its own packages, and starts with nothing else',
    async (app) => {
      const { paths, bytes } = lockedClosure(imageManifest(app));
      console.log(`[image] ${app}: ${paths.size} packages, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
      const top = [...paths].filter((p) => p.split('node_modules/').length === 2);
      for (const name of FOREIGN[app] ?? []) expect(top).not.toContain(`node_modules/${name}`);
      for (const name of OWN[app] ?? []) expect(top).toContain(`node_modules/${name}`);
      expect(top).toContain('node_modules/@opentelemetry/sdk-node');

      const allowed = join(dir, `${app}.allowed.txt`);
      writeFileSync(allowed, [...paths].join('\n'));
      const others = Object.fromEntries(SERVICES.map((s) => [s.app, 'http://127.0.0.1:9']));
      const service = await launchService(app, {
        env: {
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          NODE_OPTIONS: `--import=${JSON.stringify(HOOK)}`,
          PACKAGES_ROOT: root,
          ALLOWED_PACKAGES_FILE: allowed,
          // The SDK loads and exports to standard output: it must be in the image.
          OTEL_TRACES_EXPORTER: 'console',
          ...localWiring(app, others),
        },
        until: 'live',
      });
      services.push(service);
    },
  );

  it("copies the emulator's demo pool and the trigger module it names, where the pool file says", async () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const copies = [...dockerfile.matchAll(/^COPY (\S+) \.\/(\S+)$/gm)].map(([, from, to]) => ({
      from,
      to,
    }));
    const poolFile = 'libs/fleet-auth/pool.json';
    const trigger = (await loadPool(join(root, poolFile))).userPool.lambdaConfig
      ?.preTokenGenerationConfig;
    expect(trigger).toBeDefined();
    const module = relative(root, triggerModulePath(join(root, poolFile), trigger!.module));
    // Each at the same path under /app (the emulator's working directory) as in the repository.
    for (const needed of [poolFile, module]) {
      expect(
        copies.some(
          ({ from, to }) => from === to && (needed === from || needed.startsWith(`${from}/`)),
        ),
        `${needed} is copied into the image`,
      ).toBe(true);
    }
    // Nor left out of the build context (a pattern also leaves out what is under a folder it matches).
    const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    for (const needed of [poolFile, module]) {
      const excluding = patterns.filter(
        (pattern) => matchesGlob(needed, pattern) || matchesGlob(needed, `${pattern}/**`),
      );
      expect(excluding, needed).toEqual([]);
    }
  });

  it('refuses what is outside the set, so an app that needed it would not start', () => {
    const allowed = join(dir, 'weather-api.allowed.txt');
    writeFileSync(allowed, [...lockedClosure(imageManifest('weather-api')).paths].join('\n'));
    const run = spawnSync(
      process.execPath,
      ['--import', HOOK, '--input-type=module', '-e', "await import('axios');"],
      {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, PACKAGES_ROOT: root, ALLOWED_PACKAGES_FILE: allowed },
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('[package-denied] node_modules/axios');
    expect(run.stderr).toContain('ERR_MODULE_NOT_FOUND');
  });
});
