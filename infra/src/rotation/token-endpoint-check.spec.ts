import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenEndpointCheck } from './token-endpoint-check.js';

// A token endpoint on loopback that answers as each test scripts it.
let server: Server;
let url: string;
let answer: (req: IncomingMessage, res: ServerResponse, body: string) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => answer(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/token`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('tokenEndpointCheck', () => {
  it('passes when a client-credentials request with the secret as HTTP Basic gets an access token', async () => {
    let seen: { auth?: string; body: string } | undefined;
    answer = (req, res, body) => {
      seen = { auth: req.headers.authorization, body };
      json(res, 200, { access_token: 'eyJ.x.y', expires_in: 3600, token_type: 'Bearer' });
    };
    await tokenEndpointCheck(url)('abc', 'new-secret');
    expect(seen).toEqual({
      auth: `Basic ${Buffer.from('abc:new-secret').toString('base64')}`,
      body: 'grant_type=client_credentials',
    });
  });

  it('fails with the status and OAuth error code only', async () => {
    answer = (_req, res) =>
      json(res, 400, { error: 'invalid_client', error_description: 'new-secret?' });
    await expect(tokenEndpointCheck(url)('abc', 'new-secret')).rejects.toThrow(
      /^the token endpoint answered 400 invalid_client$/,
    );
    answer = (_req, res) => json(res, 200, { token: 'not the field' });
    await expect(tokenEndpointCheck(url)('abc', 's')).rejects.toThrow('answered 200');
  });

  it('stops reading an answer past 64 KiB, and gives up at its deadline', async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`{"access_token":"${'a'.repeat(70 * 1024)}"}`);
    };
    await expect(tokenEndpointCheck(url)('abc', 's')).rejects.toThrow('over 65536 bytes');
    answer = () => undefined; // never answers
    const started = Date.now();
    await expect(tokenEndpointCheck(url, 300)('abc', 's')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
