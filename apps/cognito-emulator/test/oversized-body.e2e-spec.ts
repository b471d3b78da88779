import {
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { connect } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import { FORM } from './helpers.js';

const MIB = 1024 * 1024;
const CRLF = Buffer.from('\r\n');
const AMZ = 'application/x-amz-json-1.1';
const target = (op: string) => `AWSCognitoIdentityProviderService.${op}`;

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Body bytes the server took: all of them unless it stopped reading. */
  sent: number;
  /** In order: `answer` (the whole response read), `end` (the server's FIN), `error <code>`. */
  events: string[];
}

/**
 * Sends 1 MiB of body to `path` over a raw socket, 16 KiB at a time with a turn of the
 * event loop between writes (as a real client paces an upload), with a `Content-Length` or
 * `chunked`, reads the answer, then finishes the body and waits for the connection to
 * close. A server that closes with the body still arriving resets the connection: the
 * client sees `error ECONNRESET` or `EPIPE`, and may lose the answer.
 */
function sendOversized(
  emu: StartedEmulator,
  path: string,
  headers: Record<string, string>,
  framing: 'length' | 'chunked' = 'length',
): Promise<Exchange> {
  const size = MIB;
  const { hostname, port } = new URL(emu.url);
  const events: string[] = [];
  let received = Buffer.alloc(0);
  let answer: Omit<Exchange, 'sent' | 'events'> | undefined;
  let sent = 0;
  return new Promise((resolve) => {
    // Half-open: the client keeps sending after the server's FIN, as a client that does not
    // read while it uploads would.
    const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true }, () => {
      const length =
        framing === 'length'
          ? { 'Content-Length': String(size) }
          : { 'Transfer-Encoding': 'chunked' };
      const head = Object.entries({ Host: hostname, ...headers, ...length })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n`);
      void (async () => {
        const chunk = Buffer.alloc(16 * 1024, 'x');
        while (sent < size && !socket.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
          const framed =
            framing === 'length'
              ? piece
              : Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, CRLF]);
          const flushed = socket.write(framed);
          sent += piece.length;
          if (!flushed) await new Promise((r) => socket.once('drain', r));
          await turn();
        }
        if (socket.destroyed) return;
        if (framing === 'chunked') socket.end('0\r\n\r\n');
        else socket.end();
      })();
    });
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const split = received.indexOf('\r\n\r\n');
      if (answer || split === -1) return;
      const [statusLine, ...lines] = received.subarray(0, split).toString('latin1').split('\r\n');
      const parsed = Object.fromEntries(
        lines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      const body = received.subarray(split + 4);
      if (body.length < Number(parsed['content-length'])) return;
      answer = { status: Number(statusLine.split(' ')[1]), headers: parsed, body: body.toString() };
      events.push('answer');
    });
    socket.on('end', () => events.push('end'));
    socket.on('error', (err: NodeJS.ErrnoException) => events.push(`error ${err.code}`));
    socket.on('close', () =>
      resolve({ ...(answer ?? { status: 0, headers: {}, body: '' }), sent, events }),
    );
  });
}

describe('an oversized body', () => {
  let emu: StartedEmulator;
  beforeAll(async () => {
    emu = await startEmulator({ PORT: '0', LOG_LEVEL: 'fatal', COGNITO_EMULATOR_ADMIN: 'true' });
  });
  afterAll(() => emu.close());

  const amz = (op: string) => ({ 'Content-Type': AMZ, 'X-Amz-Target': target(op) });
  it.each<[string, Record<string, string>, 'length' | 'chunked']>([
    ['InitiateAuth', amz('InitiateAuth'), 'length'],
    ['InitiateAuth, chunked', amz('InitiateAuth'), 'chunked'],
    ['a control-plane operation', amz('CreateUserPoolClient'), 'length'],
  ])(
    'to %s gets 413 RequestEntityTooLargeException, then the server closes without a reset',
    async (_name, headers, framing) => {
      const res = await sendOversized(emu, '/', headers, framing);
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(/^application\/x-amz-json-1\.1/);
      expect(res.headers.connection).toBe('close');
      expect(JSON.parse(res.body)).toEqual({
        __type: 'RequestEntityTooLargeException',
        message: 'request body larger than 256 KiB',
      });
      // The server answered, half-closed (FIN), read the rest of the body, and closed: no
      // ECONNRESET or EPIPE on the client's side.
      expect(res.events).toEqual(['answer', 'end']);
      expect(res.sent).toBe(MIB);
    },
  );

  it('to the token endpoint gets 413 invalid_request, then the server closes without a reset', async () => {
    const res = await sendOversized(emu, '/oauth2/token', { 'Content-Type': FORM });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(res.body)).toEqual({
      error: 'invalid_request',
      error_description: 'request body larger than 16 KiB',
    });
    expect(res.events).toEqual(['answer', 'end']);
    expect(res.sent).toBe(MIB);
  });

  it('reaches the AWS SDK as RequestEntityTooLargeException with status 413', async () => {
    const cognito = new CognitoIdentityProviderClient({
      endpoint: emu.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dev-only-not-a-secret' },
      maxAttempts: 1,
    });
    try {
      const call = cognito.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: 'weather-web',
          AuthParameters: { USERNAME: 'alice', PASSWORD: 'x'.repeat(MIB) },
        }),
      );
      await expect(call).rejects.toMatchObject({
        name: 'RequestEntityTooLargeException',
        $metadata: { httpStatusCode: 413 },
      });
    } finally {
      cognito.destroy();
    }
  });
});
