#!/usr/bin/env node
// `npm run demo`: the M2M story, narrated, one step at a time. Uses the fleet `npm start`
// runs when every service of scripts/lib/fleet.json answers on its port; otherwise builds
// if needed and starts its own on free ports (and always stops what it started). Each step prints what
// it expected and what it saw; the exit code is 0 only when every step behaved.
// With COGNITO_EMULATOR_TLS=true, the same story with the emulator over HTTPS, as npm start
// then runs it (the emulator's dev CA trusted by the demo and its own fleet).
// Client secrets are the emulator's DEV-ONLY demo ones and are never printed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildIfStale,
  demoClient,
  demoIssuer,
  emulatorDevFiles,
  launchService,
  localUrl,
  localWiring,
  prepareTls,
  probe,
  SERVICES,
  stopAll,
  tlsSwitch,
  tokenRequestSeries,
} from './lib/fleet.mjs';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = (t) => paint(1, t);
const dim = (t) => paint(2, t);
const green = (t) => paint(32, t);
const red = (t) => paint(31, t);

const READER = demoClient('weather-caller');
const ADMIN = demoClient('weather-admin');
// Today's Cognito: a client whose only flow is ALLOW_CLIENT_TOKEN_AUTH (tokens through the
// API, no domain), and one whose client metadata the pool's V3 trigger turns into a claim.
const API_ONLY = demoClient('weather-sdk-caller');
const TENANT = demoClient('weather-tenant-caller');
const tls = tlsSwitch();
const READ_SCOPE = 'weather-api/forecast.read';
const WRITE_SCOPE = 'weather-api/forecast.write';

/** The services this demo started (none when it uses npm start's). */
const started = [];
const results = [];
let stepNo = 0;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, async () => {
    console.log(`\n${signal}: stopping`);
    await stopAll(started);
    process.exit(130);
  });
}

const indent = (text, pad = '   ') =>
  text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');

function step(title) {
  stepNo += 1;
  console.log(`\n${bold(`━━ ${stepNo}. ${title}`)}`);
}

function check(what, expected, seen, ok) {
  results.push({ step: stepNo, what, ok });
  console.log(`   expected: ${expected}`);
  console.log(`   seen:     ${seen}`);
  console.log(`   ${ok ? green('✔') : red('✘')} ${what}`);
}

/** A token shown the way it may be: truncated. */
const shortToken = (t) => (t ? `${t.slice(0, 24)}…${t.slice(-6)} (${t.length} chars)` : '(none)');

function decode(token) {
  const [header, claims] = token
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
  return { header, claims };
}

/** Pretty JSON with Unix times annotated as dates, the way jwt.io shows them. */
function prettyClaims(claims) {
  return JSON.stringify(claims, null, 2)
    .split('\n')
    .map((line) => {
      const m = /^\s*"(iat|exp|auth_time|nbf)": (\d+),?$/.exec(line);
      return m ? `${line}  ${dim(`// ${new Date(Number(m[2]) * 1000).toISOString()}`)}` : line;
    })
    .join('\n');
}

async function tokenRequest(tokenUrl, who, style, scope, metadata) {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) form.set('scope', scope);
  if (metadata) form.set('aws_client_metadata', JSON.stringify(metadata));
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (style === 'basic') {
    headers.Authorization = `Basic ${Buffer.from(`${who.id}:${who.secret}`).toString('base64')}`;
    console.log(dim(`   POST ${tokenUrl}`));
    console.log(dim(`   Authorization: Basic base64(${who.id}:<secret>)`));
    console.log(dim(`   ${form}`));
  } else {
    console.log(dim(`   POST ${tokenUrl}`));
    console.log(dim(`   ${form}&client_id=${who.id}&client_secret=<secret>`));
    form.set('client_id', who.id);
    form.set('client_secret', who.secret);
  }
  const res = await fetch(tokenUrl, { method: 'POST', headers, body: form });
  const body = await res.json().catch(() => ({}));
  return { res, body };
}

/** GetClientToken (AWS JSON 1.1 on `POST /`), printed the way the token requests are. */
async function getClientToken(emulatorUrl, who, { scopes, metadata } = {}) {
  const input = {
    ClientId: who.id,
    Secret: who.secret,
    ...(scopes && { Scopes: scopes }),
    ...(metadata && { ClientMetadata: metadata }),
  };
  console.log(dim(`   POST ${emulatorUrl}/`));
  console.log(dim('   X-Amz-Target: AWSCognitoIdentityProviderService.GetClientToken'));
  console.log(dim('   Content-Type: application/x-amz-json-1.1'));
  console.log(dim(`   ${JSON.stringify({ ...input, Secret: '<secret>' })}`));
  const res = await fetch(`${emulatorUrl}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'AWSCognitoIdentityProviderService.GetClientToken',
    },
    body: JSON.stringify(input),
  });
  const body = await res.json().catch(() => ({}));
  return { res, token: body.ClientAuthenticationResult?.AccessToken, body };
}

/** What the emulator counted: its token-request series, and the successful ones by client. */
async function tokenCounts(emulatorUrl) {
  const series = await tokenRequestSeries(emulatorUrl);
  const counts = {};
  for (const { clientId, outcome, count } of series) {
    if (outcome === 'success') counts[clientId] = (counts[clientId] ?? 0) + count;
  }
  return { lines: series.map((s) => s.line), counts };
}

/** The fleet `npm start` runs, when every service answers on its port: URLs by app. */
async function findRunning() {
  const urls = Object.fromEntries(SERVICES.map((s) => [s.app, localUrl(s.app, s.port, tls)]));
  const states = await Promise.all(Object.values(urls).map((u) => probe(u)));
  if (states.every((s) => s === 'down')) return undefined;
  if (states.every((s) => s === 'ready')) {
    const discovery = await fetch(
      `${demoIssuer(urls['cognito-emulator'])}/.well-known/openid-configuration`,
    )
      .then((r) => (r.ok ? r.json() : undefined))
      .catch(() => undefined);
    if (discovery?.token_endpoint) return { urls, issuer: discovery.issuer };
  }
  console.log(
    dim("Something answers on the fleet's ports but is not the whole demo fleet: starting my own."),
  );
  return undefined;
}

async function startOwn(trust) {
  if (!buildIfStale({ say: (m) => console.log(dim(m)) })) process.exit(1);
  const urls = {};
  const t0 = Date.now();
  for (const s of SERVICES) {
    const emulator = s.app === 'cognito-emulator';
    try {
      const service = await launchService(s.app, {
        name: s.name,
        tls,
        env: {
          NODE_ENV: 'production',
          ...(emulator ? emulatorDevFiles() : { ...localWiring(s.app, urls), ...trust }),
        },
      });
      started.push(service);
      urls[s.app] = service.url;
    } catch (error) {
      console.error(red(error.message));
      await stopAll(started);
      process.exit(1);
    }
  }
  console.log(
    dim(
      `Started the ${SERVICES.length} services from dist/ on free ports in ${Date.now() - t0} ms.`,
    ),
  );
  return { urls, issuer: demoIssuer(urls['cognito-emulator']) };
}

async function main() {
  console.log(bold('Machine-to-machine OAuth 2.0 (client credentials), Cognito-style, offline'));
  console.log(dim('The client secrets are the emulator demo pool’s DEV-ONLY ones; never printed.'));
  // Over HTTPS, trust the emulator's dev CA first (made now, by its own code from dist/, if
  // missing), then look for npm start's fleet.
  if (tls && !buildIfStale({ say: (m) => console.log(dim(m)) })) process.exit(1);
  const trust = tls ? await prepareTls(emulatorDevFiles()) : {};
  if (trust.NODE_EXTRA_CA_CERTS) console.log(dim(`HTTPS: trusting ${trust.NODE_EXTRA_CA_CERTS}`));
  const found = await findRunning();
  const own = found ?? (await startOwn(trust));
  if (found) console.log(dim('Using the fleet npm start runs.'));
  const fleet = {
    emulator: own.urls['cognito-emulator'],
    api: own.urls['weather-api'],
    caller: own.urls.caller,
    issuer: own.issuer,
  };
  const tokenUrl = `${fleet.emulator}/oauth2/token`;
  console.log(dim(SERVICES.map((s) => `${s.name} ${own.urls[s.app]}`).join('  ')));
  const before = await tokenCounts(fleet.emulator);

  step(`Token for "${READER.id}" with client_secret_basic`);
  const basic = await tokenRequest(tokenUrl, READER, 'basic', READ_SCOPE);
  const readToken = basic.body.access_token;
  check(
    'the token endpoint issued a Bearer token (no-store)',
    '200, token_type Bearer, Cache-Control: no-store',
    `${basic.res.status}, token_type ${basic.body.token_type}, expires_in ${basic.body.expires_in}, Cache-Control: ${basic.res.headers.get('cache-control')}`,
    basic.res.status === 200 &&
      basic.body.token_type === 'Bearer' &&
      typeof readToken === 'string' &&
      basic.res.headers.get('cache-control') === 'no-store',
  );
  if (typeof readToken === 'string') {
    const { header, claims } = decode(readToken);
    console.log(`   access_token: ${shortToken(readToken)}`);
    console.log(dim('   HEADER: ALGORITHM & TOKEN TYPE'));
    console.log(indent(JSON.stringify(header, null, 2)));
    console.log(dim('   PAYLOAD: DATA'));
    console.log(indent(prettyClaims(claims)));
    check(
      'an RS256 Cognito-style access token',
      `alg RS256, token_use access, client_id ${READER.id}, scope ${READ_SCOPE}, iss ${fleet.issuer}`,
      `alg ${header.alg}, token_use ${claims.token_use}, client_id ${claims.client_id}, scope ${claims.scope}, iss ${claims.iss}`,
      header.alg === 'RS256' &&
        claims.token_use === 'access' &&
        claims.client_id === READER.id &&
        claims.scope === READ_SCOPE &&
        claims.iss === fleet.issuer,
    );
  }

  step(`Token for "${READER.id}" with client_secret_post (no scope: all it is allowed)`);
  const post = await tokenRequest(tokenUrl, READER, 'post');
  const postClaims =
    typeof post.body.access_token === 'string' ? decode(post.body.access_token).claims : {};
  console.log(`   access_token: ${shortToken(post.body.access_token)}`);
  check(
    'the same client, the other way to authenticate',
    `200, client_id ${READER.id}, scope ${READ_SCOPE}`,
    `${post.res.status}, client_id ${postClaims.client_id}, scope ${postClaims.scope}`,
    post.res.status === 200 &&
      postClaims.client_id === READER.id &&
      postClaims.scope === READ_SCOPE,
  );

  step('weather-api without a token');
  console.log(dim(`   GET ${fleet.api}/weatherforecast`));
  const none = await fetch(`${fleet.api}/weatherforecast`);
  await none.arrayBuffer();
  const challenge = none.headers.get('www-authenticate') ?? '(none)';
  check(
    'denied, with a Bearer challenge and no error (RFC 6750 §3.1)',
    '401, WWW-Authenticate: Bearer realm="..."',
    `${none.status}, WWW-Authenticate: ${challenge}`,
    none.status === 401 && /^Bearer realm="/.test(challenge) && !challenge.includes('error='),
  );

  step('weather-api with the read token');
  console.log(
    dim(`   GET ${fleet.api}/weatherforecast  Authorization: Bearer ${shortToken(readToken)}`),
  );
  const ok = await fetch(`${fleet.api}/weatherforecast`, {
    headers: { Authorization: `Bearer ${readToken}` },
  });
  const days = await ok.json().catch(() => undefined);
  if (Array.isArray(days)) {
    for (const d of days.slice(0, 5)) {
      console.log(`   ${d.date}  ${String(d.temperatureC).padStart(4)} °C  ${d.summary ?? ''}`);
    }
  }
  check(
    'the forecast',
    '200 and a list of days',
    `${ok.status} and ${Array.isArray(days) ? `${days.length} days` : 'no list'}`,
    ok.status === 200 && Array.isArray(days) && days.length > 0,
  );

  const observation = { date: '2030-06-01', temperatureC: 21, summary: 'Mild' };
  const write = (token) =>
    fetch(`${fleet.api}/weatherforecast`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(observation),
    });

  step('weather-api: write with the read-only token');
  console.log(dim(`   POST ${fleet.api}/weatherforecast ${JSON.stringify(observation)}`));
  const denied = await write(readToken);
  const deniedBody = await denied.json().catch(() => ({}));
  const deniedChallenge = denied.headers.get('www-authenticate') ?? '(none)';
  check(
    'forbidden: the token lacks forecast.write',
    `403, WWW-Authenticate: Bearer ... error="insufficient_scope", scope="${WRITE_SCOPE}"`,
    `${denied.status}, WWW-Authenticate: ${deniedChallenge}, body ${JSON.stringify(deniedBody)}`,
    denied.status === 403 &&
      deniedChallenge.includes('error="insufficient_scope"') &&
      deniedChallenge.includes(WRITE_SCOPE),
  );

  step(`weather-api: write with the admin client "${ADMIN.id}"`);
  const admin = await tokenRequest(tokenUrl, ADMIN, 'basic', `${READ_SCOPE} ${WRITE_SCOPE}`);
  const adminToken = admin.body.access_token;
  console.log(
    `   access_token: ${shortToken(adminToken)}  scope: ${typeof adminToken === 'string' ? decode(adminToken).claims.scope : '-'}`,
  );
  const created = await write(adminToken);
  const createdBody = await created.json().catch(() => ({}));
  check(
    'created',
    `201 and the stored observation`,
    `${created.status} ${JSON.stringify(createdBody)}`,
    admin.res.status === 200 && created.status === 201 && createdBody.date === observation.date,
  );

  step('The caller service: GET /forecast (it gets, caches and attaches its own token)');
  console.log(dim(`   GET ${fleet.caller}/forecast`));
  const viaCaller = await fetch(`${fleet.caller}/forecast`);
  const callerDays = await viaCaller.json().catch(() => undefined);
  check(
    'the forecast, through the caller',
    '200 and a list of days',
    `${viaCaller.status} and ${Array.isArray(callerDays) ? `${callerDays.length} days` : JSON.stringify(callerDays)}`,
    viaCaller.status === 200 && Array.isArray(callerDays),
  );

  step(
    `Tokens through the API: GetClientToken for "${API_ONLY.id}" (ALLOW_CLIENT_TOKEN_AUTH, no domain)`,
  );
  const viaApi = await getClientToken(fleet.emulator, API_ONLY, { scopes: [READ_SCOPE] });
  const apiClaims = typeof viaApi.token === 'string' ? decode(viaApi.token).claims : {};
  console.log(`   AccessToken: ${shortToken(viaApi.token)}`);
  const apiCall = await fetch(`${fleet.api}/weatherforecast`, {
    headers: { Authorization: `Bearer ${viaApi.token}` },
  });
  await apiCall.arrayBuffer();
  check(
    'the same kind of token as /oauth2/token gives, accepted by weather-api',
    `200 ClientAuthenticationResult, client_id ${API_ONLY.id}, scope ${READ_SCOPE}; weather-api 200`,
    `${viaApi.res.status}, client_id ${apiClaims.client_id}, scope ${apiClaims.scope}; weather-api ${apiCall.status}`,
    viaApi.res.status === 200 &&
      apiClaims.client_id === API_ONLY.id &&
      apiClaims.scope === READ_SCOPE &&
      apiClaims.iss === fleet.issuer &&
      apiCall.status === 200,
  );

  step(`Client metadata to the pool's V3 pre token generation trigger: "${TENANT.id}"`);
  const metadata = { tenant_id: 'acme' };
  const form = await tokenRequest(tokenUrl, TENANT, 'basic', READ_SCOPE, metadata);
  const withMetadata = await getClientToken(fleet.emulator, TENANT, {
    scopes: [READ_SCOPE],
    metadata,
  });
  const tenants = [form.body.access_token, withMetadata.token].map((t) =>
    typeof t === 'string' ? decode(t).claims.tenant_id : undefined,
  );
  if (typeof withMetadata.token === 'string') {
    console.log(dim('   PAYLOAD (GetClientToken with ClientMetadata)'));
    console.log(indent(prettyClaims(decode(withMetadata.token).claims)));
  }
  check(
    'the trigger added the tenant claim, on both transports',
    'tenant_id acme in the /oauth2/token token and in the GetClientToken token',
    `tenant_id ${tenants[0] ?? '(none)'} and ${tenants[1] ?? '(none)'}`,
    form.res.status === 200 &&
      withMetadata.res.status === 200 &&
      tenants.every((t) => t === 'acme'),
  );

  step('A caller configured by environment alone: the api transport, metadata, a secret file');
  const secretDir = await mkdtemp(join(tmpdir(), 'demo-secret-'));
  try {
    const secretFile = join(secretDir, 'client-secret');
    await writeFile(secretFile, `${TENANT.secret}\n`, { mode: 0o600 });
    const tenantEnv = {
      OAUTH_TRANSPORT: 'api',
      OAUTH_API_ENDPOINT: fleet.emulator,
      OAUTH_CLIENT_ID: TENANT.id,
      OAUTH_CLIENT_SECRET_FILE: secretFile,
      OAUTH_SCOPES: READ_SCOPE,
      OAUTH_CLIENT_METADATA: JSON.stringify({ tenant_id: 'initech' }),
      OAUTH_WRITE_TRANSPORT: 'token-endpoint',
    };
    for (const [name, value] of Object.entries(tenantEnv)) {
      console.log(
        dim(`   ${name}=${name.endsWith('_FILE') ? '<a file holding the secret>' : value}`),
      );
    }
    const beforeTenant = await tokenCounts(fleet.emulator);
    const tenantCaller = await launchService('caller', {
      name: 'caller (api transport)',
      tls,
      env: {
        NODE_ENV: 'production',
        ...localWiring('caller', { 'cognito-emulator': fleet.emulator, 'weather-api': fleet.api }),
        ...trust,
        OAUTH_CLIENT_SECRET: '',
        ...tenantEnv,
      },
      stdout: false,
    });
    started.push(tenantCaller);
    console.log(dim(`   GET ${tenantCaller.url}/forecast`));
    const tenantForecast = await fetch(`${tenantCaller.url}/forecast`);
    const tenantDays = await tenantForecast.json().catch(() => undefined);
    const afterTenant = await tokenCounts(fleet.emulator);
    const tenantRequests =
      (afterTenant.counts[TENANT.id] ?? 0) - (beforeTenant.counts[TENANT.id] ?? 0);
    check(
      'the forecast, with a token the caller got through GetClientToken',
      `200 and a list of days; ${TENANT.id}: 1 token request`,
      `${tenantForecast.status} and ${Array.isArray(tenantDays) ? `${tenantDays.length} days` : 'no list'}; ${TENANT.id}: ${tenantRequests}`,
      tenantForecast.status === 200 && Array.isArray(tenantDays) && tenantRequests === 1,
    );
  } finally {
    await rm(secretDir, { recursive: true, force: true });
  }

  const others = SERVICES.filter((s) => s.protectedPath && s.app !== 'weather-api');
  if (others.length > 0) {
    step('The rest of the fleet: every resource server refuses a call without a token');
    for (const s of others) {
      const url = `${own.urls[s.app]}${s.protectedPath}`;
      console.log(dim(`   GET ${url}`));
      const res = await fetch(url);
      await res.arrayBuffer();
      const got = res.headers.get('www-authenticate') ?? '(none)';
      check(
        `${s.name} denies it`,
        '401, WWW-Authenticate: Bearer realm="..."',
        `${res.status}, WWW-Authenticate: ${got}`,
        res.status === 401 && /^Bearer realm="/.test(got),
      );
    }
  }

  step('What the emulator counted (GET /metrics)');
  const after = await tokenCounts(fleet.emulator);
  for (const line of after.lines) console.log(`   ${line}`);
  const delta = (id) => (after.counts[id] ?? 0) - (before.counts[id] ?? 0);
  // 2 by this demo; the caller's first token too, unless it already had one cached.
  const readerDelta = delta(READER.id);
  check(
    'token requests during this demo',
    `${READER.id}: 2 (demo) + 0 or 1 (caller, unless cached); ${ADMIN.id}: 1 (+1 for the api caller's write client); ` +
      `${API_ONLY.id}: 1; ${TENANT.id}: 3 (2 demo + 1 caller)`,
    `${READER.id}: ${readerDelta}; ${ADMIN.id}: ${delta(ADMIN.id)}; ${API_ONLY.id}: ${delta(API_ONLY.id)}; ${TENANT.id}: ${delta(TENANT.id)}`,
    (readerDelta === 2 || readerDelta === 3) &&
      delta(ADMIN.id) === 2 &&
      delta(API_ONLY.id) === 1 &&
      delta(TENANT.id) === 3,
  );

  const failed = results.filter((r) => !r.ok);
  console.log(
    `\n${failed.length === 0 ? green(`✔ all ${results.length} checks behaved`) : red(`✘ ${failed.length} of ${results.length} checks did not: ${failed.map((f) => `step ${f.step} (${f.what})`).join(', ')}`)}`,
  );
  return failed.length === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(red(`demo failed: ${error instanceof Error ? error.message : String(error)}`));
} finally {
  await stopAll(started);
}
process.exit(code);
