import { startEmulator } from '../../cognito-emulator/src/bootstrap.js';
import { startPeer, trickle } from '../../../test/helpers/hostile-peers.js';
import { ScriptedTokenEndpoint } from '../../../test/helpers/scripted-token-endpoint.js';
import { startCaller, type StartedCaller } from '../src/bootstrap.js';
import { CapturingLogger, demoCallerEnv, ScriptedApi, tokenRequests } from './fleet.js';

// The caller's token requests against issuers and downstreams that would make it storm the
// issuer or hang: a weather-api that rejects every token, an issuer whose tokens expire at
// once, a token endpoint that trickles its answer. Counted at the issuer.
/** A token response that starts and, a byte at a time, never gets anywhere. */
const NEVER_ENDING = `{"access_token":"${'x'.repeat(100_000)}`;
type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;
let api: ScriptedApi;
let caller: StartedCaller | undefined;
let logs: CapturingLogger;

beforeAll(async () => {
  emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
  api = await new ScriptedApi().start();
});
beforeEach(() => {
  logs = new CapturingLogger();
});
afterEach(async () => {
  await caller?.close();
  caller = undefined;
});
afterAll(async () => {
  await api.stop();
  await emulator.close();
});

async function boot(tokenUrl: string, env: NodeJS.ProcessEnv = {}) {
  caller = await startCaller({ ...demoCallerEnv(api.url, tokenUrl), ...env }, { logger: logs });
  return caller;
}
const get = (path: string) => fetch(`${caller!.url}${path}`);

describe('no token storms, no hanging token requests', () => {
  it('a weather-api that rejects every token: 20 calls cost at most 2 token requests, one warning', async () => {
    api.answer = (_t, _n, res) =>
      api.json(
        res,
        401,
        { error: 'invalid_token' },
        { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      );
    await boot(emulator.tokenUrl);
    const before = await tokenRequests(emulator.url, 'weather-caller');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) statuses.push((await get('/forecast')).status);
    expect(statuses).toEqual(Array(20).fill(502));
    expect((await tokenRequests(emulator.url, 'weather-caller')) - before).toBeLessThanOrEqual(2);
    expect(logs.lines.filter((l) => /rejected a freshly fetched token/.test(l))).toHaveLength(1);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(
      /m2m_token_refresh_cooldowns_total\{[^}]*client_id="weather-caller"[^}]*\} 1/,
    );
  });

  it('an issuer answering expires_in 0.001: one token request for 20 calls, each a 502 naming it', async () => {
    const issuer = new ScriptedTokenEndpoint();
    issuer.respond = (res) => issuer.ok(res, 0.001);
    await issuer.start();
    try {
      api.answer = (_t, _n, res) => api.json(res, 200, []);
      await boot(issuer.url);
      const before = issuer.seen.length;
      for (let i = 0; i < 20; i += 1) {
        const res = await get('/forecast');
        expect(res.status).toBe(502);
        expect(await res.json()).toMatchObject({
          dependency: 'token-endpoint',
          dependency_error: 'invalid_token_response',
        });
      }
      expect(issuer.seen.length - before).toBeLessThanOrEqual(1);
    } finally {
      await issuer.stop();
    }
  });

  it('a token endpoint that trickles its answer: the call is answered within the token deadlines, its sockets closed', async () => {
    const peer = await startPeer(trickle(NEVER_ENDING, 200));
    try {
      await boot(`${peer.url}/oauth2/token`, {
        OAUTH_TOKEN_TIMEOUT_MS: '500',
        OAUTH_RETRY_MAX_ATTEMPTS: '3',
        OAUTH_RETRY_MAX_TOTAL_MS: '1500',
      });
      const started = Date.now();
      const res = await get('/forecast');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await peer.allClosed(1_000)).toBe(true);
    } finally {
      await peer.close();
    }
  });
});
