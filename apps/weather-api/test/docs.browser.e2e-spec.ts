import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startWeatherApi } from '../src/bootstrap.js';

// Swagger UI's Authorize button against the emulator, in Debian's chromium (never a
// browser downloaded by Playwright). Missing chromium is installed when we are root
// (scripts/ensure-test-deps.sh); otherwise the test is skipped, and says why.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const isRoot = process.getuid?.() === 0;
const SKIP_REASON = `chromium not found at ${CHROMIUM} and not root to install it: run scripts/ensure-test-deps.sh as root`;
const canRun = existsSync(CHROMIUM) || isRoot;
if (!canRun) console.warn(`docs browser test SKIPPED: ${SKIP_REASON}`);

const OUTPUT = resolve('test-output');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type WeatherApi = Awaited<ReturnType<typeof startWeatherApi>>;
let emulator: Emulator;
let api: WeatherApi;
let context: BrowserContext;
let profile: string;

/** A free loopback port: weather-api's origin must be known before the emulator starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function authorize(page: Page, clientId: string, secret: string) {
  await page.locator('.auth-wrapper button.authorize').click();
  const modal = page.locator('.modal-ux');
  const logout = modal.locator('button.modal-btn.auth', { hasText: 'Logout' });
  if (await logout.count()) await logout.first().click();
  await modal.locator('input[id^="client_id"]').fill(clientId);
  await modal.locator('input[id^="client_secret"]').fill(secret);
  const token = page.waitForResponse(
    (r) => r.url() === emulator.tokenUrl && r.request().method() === 'POST',
  );
  await modal.locator('button.modal-btn.auth.authorize').first().click();
  expect((await token).status()).toBe(200);
  await expect.poll(() => logout.count()).toBeGreaterThan(0);
  await modal.locator('button.btn-done').first().click();
}

async function tryItOut(page: Page, operationId: string, method: string): Promise<string> {
  const op = page.locator(`[id$="-${operationId}"]`);
  await op.locator('.opblock-summary').first().click();
  await op.locator('button.try-out__btn').click();
  const answered = page.waitForResponse(
    (r) => r.url() === `${api.url}/weatherforecast` && r.request().method() === method,
  );
  await op.locator('button.execute').click();
  await answered;
  const status = op.locator('.live-responses-table tr.response .response-col_status').first();
  await status.waitFor();
  return (await status.innerText()).trim();
}

describe.skipIf(!canRun)('weather-api docs page in a real browser', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      execFileSync('bash', ['scripts/ensure-test-deps.sh'], { stdio: 'inherit' });
    }
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    emulator = await startEmulator({
      PORT: '0',
      LOG_LEVEL: 'warn',
      COGNITO_EMULATOR_CORS_ORIGINS: origin,
    });
    api = await startWeatherApi({
      PORT: String(port),
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: emulator.issuer,
      AUTH_TOKEN_URL: emulator.tokenUrl,
    });
    await mkdir(OUTPUT, { recursive: true });
    profile = await mkdtemp(join(tmpdir(), 'docs-browser-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 1600 },
    });
  }, 300_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await api?.close();
    await emulator?.close();
  });

  it('authorizes with a client id and secret and gets 200, then 403 for a read-only client writing', async () => {
    const page = await context.newPage();
    await page.goto(`${api.url}/docs`);
    await page.locator('.auth-wrapper button.authorize').waitFor();

    await authorize(page, 'weather-admin', 'weather-admin-dev-secret');
    expect(await tryItOut(page, 'WeatherForecastController_list', 'GET')).toBe('200');
    await page.screenshot({ path: join(OUTPUT, 'docs-authorized-200.png'), fullPage: true });

    await authorize(page, 'weather-caller', 'weather-caller-dev-secret');
    expect(await tryItOut(page, 'WeatherForecastController_add', 'POST')).toBe('403');
    await page.screenshot({ path: join(OUTPUT, 'docs-read-only-403.png'), fullPage: true });
  });
});
