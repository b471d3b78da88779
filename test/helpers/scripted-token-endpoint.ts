// A real token endpoint on an ephemeral loopback port whose answers a test scripts: tokens
// numbered in order of issue, OAuth errors, anything else. It records what it was sent.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  headers: IncomingMessage['headers'];
  body: URLSearchParams;
}
export type Responder = (res: ServerResponse, seen: Seen) => void | Promise<void>;

/** A real token endpoint on an ephemeral port whose answers the test scripts. */
export class ScriptedTokenEndpoint {
  readonly seen: Seen[] = [];
  private server: Server;
  private issued = 0;
  respond: Responder = (res) => this.ok(res);
  url = '';

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

  json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = {
          headers: req.headers,
          body: new URLSearchParams(Buffer.concat(chunks).toString()),
        };
        this.seen.push(seen);
        void this.respond(res, seen);
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/oauth2/token`;
  }

  async stop() {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
