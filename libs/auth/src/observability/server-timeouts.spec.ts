import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slowBodyClient, slowHeaderClient } from '../../../../test/helpers/hostile-peers.js';
import { applyServerTimeouts } from './server-timeouts.js';

const timeouts = { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 300 };
// Node checks deadlines every headersTimeout/4 here (100 ms); generous slack for a busy machine.
const SLACK_MS = 1500;

async function listening(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('applyServerTimeouts', () => {
  let server: Server;
  let url: string;
  beforeEach(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    applyServerTimeouts(server, timeouts);
    url = await listening(server);
  });
  afterEach(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  it('closes a slow-header client at the headers deadline with a JSON 408', async () => {
    const { closedAfterMs, response } = await slowHeaderClient(url, {
      intervalMs: 50,
      giveUpMs: 5000,
    });
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.headersTimeoutMs - 50);
    expect(closedAfterMs).toBeLessThan(timeouts.headersTimeoutMs + SLACK_MS);
    expect(response).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(response).toContain('Content-Type: application/json');
    expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'request_timeout',
      error_description: 'the request was not received in time',
    });
  });

  it('closes a slow-body client at the request deadline', async () => {
    const { closedAfterMs, response } = await slowBodyClient(url, {
      intervalMs: 50,
      giveUpMs: 5000,
    });
    expect(closedAfterMs).toBeGreaterThanOrEqual(timeouts.requestTimeoutMs - 50);
    expect(closedAfterMs).toBeLessThan(timeouts.requestTimeoutMs + SLACK_MS);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers malformed HTTP with a JSON 400', async () => {
    const { response } = await slowHeaderClient(url, {
      intervalMs: 10_000,
      giveUpMs: 3000,
      path: 'bad path',
    });
    expect(response).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(response).toContain('"error":"invalid_request"');
  });

  it('leaves a framework that answers client errors itself alone', () => {
    const other = createServer();
    const own = () => undefined;
    other.on('clientError', own);
    applyServerTimeouts(other, timeouts);
    expect(other.listeners('clientError')).toEqual([own]);
    expect(other.requestTimeout).toBe(800);
  });
});
