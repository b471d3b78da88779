// Hostile HTTP peers on loopback for the bounds tests: a server that answers 200 and then
// trickles its body a byte at a time, one that streams without end, one that never answers.
// Each counts its open connections, so a test can assert that the client closed them.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the server does with each request (the request body is read first). */
export type HostileBehaviour =
  /** Status and headers at once, then one byte of `body` every `intervalMs`, never ending. */
  | { kind: 'trickle'; intervalMs: number; status?: number; contentType?: string; body?: string }
  /** Status and headers, then `chunkBytes` chunks as fast as the client reads, never ending. */
  | { kind: 'endless'; chunkBytes?: number; contentType?: string }
  /** Reads the request and never answers (no status line, no headers). */
  | { kind: 'silent' };

/**
 * An HTTP server on a free loopback port that misbehaves as told. Its sockets stay open
 * until the client closes them (or {@link close}).
 *
 * @example
 * ```ts
 * const peer = await HostileHttpServer.start({ kind: 'trickle', intervalMs: 500 });
 * // ... point the client at peer.url, then:
 * expect(await peer.allClosedWithin(1_000)).toBe(true);
 * ```
 */
export class HostileHttpServer {
  /** Requests received, in order. */
  readonly requests: { method: string; url: string; at: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server;
  url = '';

  private constructor(public behaviour: HostileBehaviour) {}

  static async start(behaviour: HostileBehaviour): Promise<HostileHttpServer> {
    const peer = new HostileHttpServer(behaviour);
    peer.server = createServer((req, res) => peer.handle(req, res));
    // No server-side timeouts: the point is to see what the client bounds.
    peer.server.requestTimeout = 0;
    peer.server.headersTimeout = 0;
    peer.server.keepAliveTimeout = 0;
    peer.server.on('connection', (socket: Socket) => {
      peer.sockets.add(socket);
      socket.on('close', () => peer.sockets.delete(socket));
    });
    peer.server.listen(0, '127.0.0.1');
    await once(peer.server, 'listening');
    peer.url = `http://127.0.0.1:${(peer.server.address() as AddressInfo).port}`;
    return peer;
  }

  /** Connections the client still holds open. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Whether every connection was closed within `ms` from now. */
  async allClosedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.sockets.size === 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', at: Date.now() });
    req.resume();
    req.on('end', () => this.misbehave(res));
  }

  private misbehave(res: ServerResponse) {
    const b = this.behaviour;
    if (b.kind === 'silent') return;
    res.writeHead(b.kind === 'trickle' ? (b.status ?? 200) : 200, {
      'Content-Type': b.contentType ?? 'application/json',
    });
    res.flushHeaders();
    if (b.kind === 'trickle') {
      const body = b.body ?? '{"access_token":"' + 'x'.repeat(1_000_000);
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return this.stop(timer);
        res.write(body[sent % body.length]);
        sent += 1;
      }, b.intervalMs);
      this.timers.add(timer);
      res.on('close', () => this.stop(timer));
      return;
    }
    const chunk = Buffer.alloc(b.chunkBytes ?? 64 * 1024, 'a');
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  }

  private stop(timer: NodeJS.Timeout) {
    clearInterval(timer);
    this.timers.delete(timer);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
