#!/usr/bin/env node
// `npm run new:service -- <name> [--scope <resource>.<action>]... [--port <port>]`
// A new protected service of the fleet, in one command:
//   - apps/<name>: a Nest app on @nest-m2m-cognito/auth (logs, metrics, health, the resource
//     server from AUTH_* variables), one route `GET /<resource>` needing the first scope, and
//     its e2e (401 / 403 / 200, health, and a client calling it through the M2M client);
//   - the fleet's auth definition (POOL_FILE, libs/fleet-auth/pool.json, which the emulator
//     serves and infra/ provisions): a resource server `<name>` with the scopes, a client
//     `<name>-client` (dev-only secret) allowed them, and the service in its `services`;
//   - its place in the fleet: scripts/lib/fleet.json (npm start, the demo, check-compose),
//     nest-cli.json (nest build), docker-compose.yml and its HTTPS override docker-compose.tls.yml.
// Default scope: items.read. Default port: one above the fleet's highest (not the issuer's).
// Every file it writes is formatted with the repository's Prettier settings.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { applyEdits, modify, parse } from 'jsonc-parser';
import prettier from 'prettier';
import { POOL_FILE, root, SERVICES } from './lib/fleet.mjs';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const SCOPE = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/;
const COLORS = ['cyan', 'yellow', 'red', 'white', 'gray', 'blueBright', 'greenBright'];
const TEMPLATES = join(root, 'scripts', 'templates', 'service');
const FLEET_FILE = join(root, 'scripts', 'lib', 'fleet.json');

function fail(message) {
  console.error(`new:service: ${message}`);
  process.exit(1);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    scope: { type: 'string', multiple: true },
    port: { type: 'string' },
  },
});
const [name] = positionals;
if (!name || positionals.length !== 1) {
  fail('usage: npm run new:service -- <name> [--scope <resource>.<action>]... [--port <port>]');
}
if (!NAME.test(name) || name.length > 40) fail(`"${name}" must be kebab-case (e.g. inventory-api)`);
if (existsSync(join(root, 'apps', name)) || SERVICES.some((s) => s.name === name)) {
  fail(`a service "${name}" exists already`);
}
const scopes = values.scope ?? ['items.read'];
for (const scope of scopes) {
  if (!SCOPE.test(scope)) fail(`--scope "${scope}" must be <resource>.<action> (e.g. items.read)`);
}
const ports = SERVICES.filter((s) => s.after).map((s) => s.port);
const port = values.port === undefined ? Math.max(...ports) + 1 : Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail('--port must be a port number');
if (SERVICES.some((s) => s.port === port)) fail(`port ${port} is taken in the fleet`);

const pool = parse(readFileSync(POOL_FILE, 'utf8'));
const issuerService = SERVICES.find((s) => !s.after);
const resource = scopes[0].split('.')[0];
const pascal = (kebab) => kebab.replace(/(^|-)([a-z0-9])/g, (_, _dash, c) => c.toUpperCase());
const fullScopes = scopes.map((scope) => `${name}/${scope}`);
const vars = {
  name,
  NAME: name.toUpperCase().replace(/-/g, '_'),
  resource,
  Resource: pascal(resource),
  scope: fullScopes[0],
  port: String(port),
  devIssuer: `http://127.0.0.1:${issuerService.port}/${pool.userPoolId}`,
  clientId: `${name}-client`,
  // DEV-ONLY: a demo secret in the demo pool, like the others there.
  clientSecret: `${name}-client-dev-secret`,
};
if (pool.clients.some((c) => c.clientId === vars.clientId)) {
  fail(`the pool has a client "${vars.clientId}" already`);
}
if (pool.resourceServers.some((r) => r.identifier === name)) {
  fail(`the pool has a resource server "${name}" already`);
}
if (pool.services?.[name]) fail(`the pool's services have "${name}" already`);

const written = [];
const render = (text) => text.replace(/\{\{(\w+)\}\}/g, (_, key) => vars[key]);
async function write(path, text) {
  const config = (await prettier.resolveConfig(path)) ?? {};
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await prettier.format(text, { ...config, filepath: path }));
  written.push(relative(root, path));
}

/** `text` (JSON) with `value` appended to the array at `path`, the rest as it was. */
function append(text, path, value) {
  const edits = modify(text, [...path, -1], value, {
    isArrayInsertion: true,
    formattingOptions: { insertSpaces: true, tabSize: 2 },
  });
  return applyEdits(text, edits);
}

// 1. The app.
const files = {
  'tsconfig.app.json.tmpl': 'tsconfig.app.json',
  'src/app.module.ts.tmpl': 'src/app.module.ts',
  'src/main.ts.tmpl': 'src/main.ts',
  'src/resource.controller.ts.tmpl': `src/${resource}.controller.ts`,
  'test/service.e2e-spec.ts.tmpl': `test/${name}.e2e-spec.ts`,
};
for (const [template, target] of Object.entries(files)) {
  await write(
    join(root, 'apps', name, target),
    render(readFileSync(join(TEMPLATES, template), 'utf8')),
  );
}

// 2. The pool: the resource server and a client allowed its scopes.
let poolText = readFileSync(POOL_FILE, 'utf8');
poolText = append(poolText, ['resourceServers'], {
  identifier: name,
  name: pascal(name).replace(/([a-z])([A-Z])/g, '$1 $2'),
  scopes: scopes.map((scope) => ({ name: scope, description: `${scope} on ${name}` })),
});
// A machine client as the definition's others (libs/fleet-auth/README.md): Cognito's fields.
poolText = append(poolText, ['clients'], {
  clientId: vars.clientId,
  clientName: `${name} client`,
  clientSecret: vars.clientSecret,
  allowedOAuthFlows: ['client_credentials'],
  explicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
  allowedOAuthScopes: fullScopes,
  accessTokenValidity: 60,
  idTokenValidity: 60,
  refreshTokenValidity: 30,
  tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
  enableTokenRevocation: true,
  preventUserExistenceErrors: 'ENABLED',
});
// The service serves its resource server (npm run infra:env gives it AUTH_ISSUER, AUTH_CLIENT_IDS).
poolText = applyEdits(
  poolText,
  modify(
    poolText,
    ['services', name],
    { resourceServers: [name] },
    {
      formattingOptions: { insertSpaces: true, tabSize: 2 },
    },
  ),
);
await write(POOL_FILE, poolText);

// 3. The fleet: npm start, the demo and check-compose follow fleet.json.
const color = COLORS[(SERVICES.length - 3 + COLORS.length) % COLORS.length];
const entry = { name, app: name, port, color, after: issuerService.name };
await write(
  FLEET_FILE,
  append(readFileSync(FLEET_FILE, 'utf8'), ['services'], {
    ...entry,
    protectedPath: `/${resource}`,
  }),
);

// 4. The Nest CLI project (nest build --all).
const cliFile = join(root, 'nest-cli.json');
const cli = readFileSync(cliFile, 'utf8');
await write(
  cliFile,
  applyEdits(
    cli,
    modify(
      cli,
      ['projects', name],
      {
        type: 'application',
        root: `apps/${name}`,
        entryFile: `apps/${name}/src/main`,
        sourceRoot: `apps/${name}/src`,
        compilerOptions: { tsConfigPath: `apps/${name}/tsconfig.app.json` },
      },
      { formattingOptions: { insertSpaces: true, tabSize: 2 } },
    ),
  ),
);

// 5. docker-compose: the image of the one Dockerfile, its PORT, after the issuer is healthy.
const composeFile = join(root, 'docker-compose.yml');
const issuerApp = issuerService.app;
await write(
  composeFile,
  `${readFileSync(composeFile, 'utf8').trimEnd()}

  ${name}:
    <<: *service
    build:
      context: .
      args:
        APP: ${name}
    image: nest-m2m-cognito/${name}
    environment:
      HOST: 0.0.0.0
      PORT: '${port}'
      # Any client of the pool (the shared .env.example lists weather-api's allow-list).
      AUTH_CLIENT_IDS: ''
    ports:
      - '${port}:${port}'
    depends_on:
      ${issuerApp}:
        condition: service_healthy
`,
);

// 6. Its HTTPS wiring in the compose override: the https issuer and the dev CA.
const tlsComposeFile = join(root, 'docker-compose.tls.yml');
await write(
  tlsComposeFile,
  `${readFileSync(tlsComposeFile, 'utf8').trimEnd()}

  ${name}:
    <<: *resource-server
`,
);

console.log(`new:service: ${name}, on port ${port}. Wrote:`);
for (const path of written) console.log(`  ${path}`);
console.log(`
Its client (dev-only secret, in the pool): ${vars.clientId} / ${vars.clientSecret}
  scopes: ${fullScopes.join(' ')}
Next: npm test (its e2e: apps/${name}/test/${name}.e2e-spec.ts), npm start (it starts on ${port}).
Call it from another service: M2MClientModule.register(m2mClientOptionsFromEnv(process.env, '${name}'))
  with OAUTH_${vars.NAME}_CLIENT_ID, OAUTH_${vars.NAME}_CLIENT_SECRET and ${vars.NAME}_URL set.`);
