// A real token endpoint on an ephemeral loopback port whose answers a test scripts: tokens
// numbered in order of issue, OAuth errors, anything else. It records what it was sent. The
// same server answers Cognito's GetClientToken (AWS JSON 1.1 on `POST /`) when scripted so.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  headers: IncomingMessage['headers'];
  /** The body as a form (the token endpoint's requests). */
  body: URLSearchParams;
  /** The body as it came, and the request's path. */
  text: string;
  path: string;
}
export type Responder = (res: ServerResponse, seen: Seen) => void | Promise<void>;

/** A real token endpoint on an ephemeral port whose answers the test scripts. */
export class ScriptedTokenEndpoint {
  readonly seen: Seen[] = [];
  private server: Server;
  private issued = 0;
  respond: Responder = (res) => this.ok(res);
  /** The token endpoint's URL, and the server's base URL (where GetClientToken goes). */
  url = '';
  base = '';

  ok(res: ServerResponse, expiresIn = 3600) {
    this.issued += 1;
    res.setHeader('Content-Type', 'application/json');
    res.end(
      JSON.stringify({
        access_token: `tok-${this.issued}`,
        expires_in: expiresIn,
        token_type: 'Bearer',
      }),
    );
  }

  /** A GetClientToken success: `ClientAuthenticationResult`, as Cognito answers it. */
  apiOk(res: ServerResponse, expiresIn = 3600) {
    this.issued += 1;
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
    res.end(
      JSON.stringify({
        ClientAuthenticationResult: {
          AccessToken: `tok-${this.issued}`,
          ExpiresIn: expiresIn,
          TokenType: 'Bearer',
        },
      }),
    );
  }

  /** An AWS JSON 1.1 error (`__type`, `message`), as Cognito answers one. */
  awsError(res: ServerResponse, status: number, type: string, message = 'refused') {
    res.writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      'x-amzn-ErrorType': `${type}:`,
    });
    res.end(JSON.stringify({ __type: type, message }));
  }

  json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const seen = {
          headers: req.headers,
          body: new URLSearchParams(text),
          text,
          path: req.url ?? '',
        };
        this.seen.push(seen);
        void this.respond(res, seen);
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.url = `${this.base}/oauth2/token`;
  }

  async stop() {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
