// The token request's bounds against hostile token endpoints on loopback: deadlines that
// hold however steadily a peer trickles bytes, a size cap, and lifetimes too short to use.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  endlessJson,
  type HostilePeer,
  startPeer,
  trickle,
} from '../../../../test/helpers/hostile-peers.js';
import { DEFAULT_RETRY } from './backoff.js';
import { TokenEndpointError, TokenEndpointUnavailableError } from './client.errors.js';
import type { M2MClientMetrics } from './client.metrics.js';
import { getClientTokenTransport } from './get-client-token.js';
import { tokenEndpointTransport } from './token-endpoint.js';
import { TokenRequester, type TokenRequestSettings } from './token-request.js';

const realRuntime = {
  now: () => Date.now(),
  random: () => 0.5,
  sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
};
const never = new AbortController().signal;
/** A token response that starts and, a byte at a time, never gets anywhere. */
const NEVER_ENDING = `{"access_token":"${'x'.repeat(100_000)}`;
const noMetrics: M2MClientMetrics = {};
const SECRET = 'unit-test-secret';

function client(
  tokenUrl: string,
  settings: Partial<TokenRequestSettings> = {},
  transport = tokenEndpointTransport({
    tokenUrl,
    clientId: 'svc',
    scopes: [],
    authMethod: 'client_secret_basic',
  }),
) {
  const requester = new TokenRequester(
    transport,
    {
      clientId: 'svc',
      timeoutMs: 300,
      retry: { ...DEFAULT_RETRY, maxAttempts: 3, baseDelayMs: 20, maxTotalMs: 1_000 },
      ...settings,
    },
    realRuntime,
    noMetrics,
  );
  return { requestToken: (signal: AbortSignal) => requester.requestToken(SECRET, signal) };
}

let peer: HostilePeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

describe('TokenEndpointClient bounds', () => {
  it('a token endpoint that trickles its body: each attempt ends at its deadline, the budget at its own, sockets closed', async () => {
    // Headers at once, then a byte every 100 ms: never idle for long, never done.
    peer = await startPeer(trickle(NEVER_ENDING, 100));
    const started = Date.now();
    const error: unknown = await client(`${peer.url}/oauth2/token`)
      .requestToken(never)
      .catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(TokenEndpointUnavailableError);
    expect((error as TokenEndpointUnavailableError).attempts).toBe(3);
    // 3 x 300 ms attempts plus two short backoffs, inside the 1 s budget (+ scheduling slack).
    expect(took).toBeGreaterThanOrEqual(850);
    expect(took).toBeLessThan(1_500);
    expect(peer.requests).toBe(3);
    expect(await peer.allClosed(500)).toBe(true);
  });

  it('the retry budget is a deadline too: a long per-request timeout is cut to what is left of it', async () => {
    peer = await startPeer(trickle(NEVER_ENDING, 100));
    const started = Date.now();
    await expect(
      client(`${peer.url}/oauth2/token`, {
        timeoutMs: 5_000,
        retry: { ...DEFAULT_RETRY, maxAttempts: 4, maxTotalMs: 600 },
      }).requestToken(never),
    ).rejects.toBeInstanceOf(TokenEndpointUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_100);
    expect(await peer.allClosed(500)).toBe(true);
  });

  it('the api transport (GetClientToken) has the same deadlines: a trickling answer is cut', async () => {
    peer = await startPeer(trickle(NEVER_ENDING, 100));
    const api = getClientTokenTransport({ endpoint: peer.url, clientId: 'svc', scopes: [] });
    const started = Date.now();
    const error: unknown = await client(peer.url, {}, api)
      .requestToken(never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointUnavailableError);
    expect((error as TokenEndpointUnavailableError).attempts).toBe(3);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(peer.requests).toBe(3);
    expect(await peer.allClosed(500)).toBe(true);
  });

  it('the api transport has the same size cap: an endless answer is an invalid response', async () => {
    peer = await startPeer(endlessJson());
    const api = getClientTokenTransport({ endpoint: peer.url, clientId: 'svc', scopes: [] });
    const error: unknown = await client(peer.url, { timeoutMs: 5_000 }, api)
      .requestToken(never)
      .catch((e: unknown) => e);
    expect((error as TokenEndpointError).code).toBe('invalid_token_response');
    expect(peer.requests).toBe(1);
    expect(await peer.allClosed(500)).toBe(true);
  });

  it('an endpoint that never answers is bounded the same way', async () => {
    peer = await startPeer(() => undefined);
    const started = Date.now();
    await expect(client(`${peer.url}/oauth2/token`).requestToken(never)).rejects.toBeInstanceOf(
      TokenEndpointUnavailableError,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await peer.allClosed(500)).toBe(true);
  });

  it('a body without end is cut at the size cap: an invalid response, not retried, socket closed', async () => {
    peer = await startPeer(endlessJson());
    const rss = process.memoryUsage().rss;
    const started = Date.now();
    const error: unknown = await client(`${peer.url}/oauth2/token`, { timeoutMs: 5_000 })
      .requestToken(never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).code).toBe('invalid_token_response');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(peer.requests).toBe(1);
    expect(await peer.allClosed(500)).toBe(true);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it('expires_in shorter than the expiry skew is an invalid response; a usable lifetime is a token', async () => {
    let expiresIn = 0.001;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'tok', expires_in: expiresIn, token_type: 'Bearer' }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
      const endpoint = client(url, { minLifetimeMs: 5_000 });
      const error: unknown = await endpoint.requestToken(never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect((error as TokenEndpointError).code).toBe('invalid_token_response');
      expiresIn = 5;
      await expect(endpoint.requestToken(never)).rejects.toBeInstanceOf(TokenEndpointError);
      expiresIn = 6;
      await expect(endpoint.requestToken(never)).resolves.toEqual({
        accessToken: 'tok',
        expiresInSeconds: 6,
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
