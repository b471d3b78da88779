// Hostile peers on loopback for the bounds tests: servers that answer too much, too slowly or
// something a client must not trust, and clients that send their request too slowly. Each
// server records its connections, so a test can assert that the client under test closed them.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';

/** One TCP connection a peer accepted. */
export interface PeerConnection {
  openedAt: number;
  /** Requests received on it. */
  requests: number;
  /** When the socket closed (either side), or undefined while it is open. */
  closedAt?: number;
}

/** How a peer answers one request. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse) => void;

/** A running hostile server. */
export interface HostilePeer {
  /** `http://127.0.0.1:port`. */
  url: string;
  /** Every connection accepted so far. */
  readonly connections: readonly PeerConnection[];
  /** Bytes of response bodies written so far, over every request. */
  readonly bytesSent: number;
  /** Requests received so far. */
  readonly requests: number;
  /**
   * Connections still open that carried a request, of those accepted from the `since`-th
   * on. (After an abort, Node 22's fetch opens a spare connection that stays idle, with no
   * request, for about 3 s: it holds no answer, so it does not count.)
   */
  openConnections(since?: number): number;
  /**
   * Waits until every connection that carried a request, of those accepted so far (from
   * the `since`-th on: a test's own, not an earlier keep-alive one), is closed; false after
   * `timeoutMs`.
   */
  allClosed(timeoutMs: number, since?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts a server on an ephemeral loopback port that answers every request with `behaviour`. */
export async function startPeer(behaviour: Behaviour): Promise<HostilePeer> {
  const connections: PeerConnection[] = [];
  const bySocket = new WeakMap<object, PeerConnection>();
  const counters = { bytes: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    counters.requests++;
    const connection = bySocket.get(req.socket);
    if (connection) connection.requests++;
    const write = res.write.bind(res) as (chunk: string | Buffer) => boolean;
    res.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
      counters.bytes += Buffer.byteLength(chunk);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    req.resume();
    behaviour(req, res);
  });
  // The peer itself must never be the bound under test.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket) => {
    const entry: PeerConnection = { openedAt: Date.now(), requests: 0 };
    connections.push(entry);
    bySocket.set(socket, entry);
    socket.on('close', () => (entry.closedAt = Date.now()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const openConnections = (since = 0) =>
    connections.slice(since).filter((c) => c.requests > 0 && c.closedAt === undefined).length;
  return {
    url,
    connections,
    get bytesSent() {
      return counters.bytes;
    },
    get requests() {
      return counters.requests;
    },
    openConnections,
    async allClosed(timeoutMs, since = 0) {
      const deadline = Date.now() + timeoutMs;
      while (openConnections(since) > 0) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return true;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** `startPeer` for a test file: every peer it started is closed after each test (vitest's `afterEach`). */
export function peersClosedAfterEach(): (behaviour: Behaviour) => Promise<HostilePeer> {
  const peers: HostilePeer[] = [];
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  return async (behaviour) => {
    const peer = await startPeer(behaviour);
    peers.push(peer);
    return peer;
  };
}

/** Answers `status` with `headers` and `body` at once. */
export function respond(
  status: number,
  headers: Record<string, string>,
  body: string | Buffer = '',
): Behaviour {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

/** 200 `application/json` that starts a key set (`{"keys":[`) and never ends, as fast as the client reads. */
export function endlessJson(chunkBytes = 64 * 1024): Behaviour {
  const item = '{"kty":"RSA","kid":"x","use":"sig","n":"AQAB","e":"AQAB"},';
  const chunk = item.repeat(Math.ceil(chunkBytes / item.length));
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"keys":[');
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  };
}

/**
 * Sends `status` and `headers` at once, then `body` one byte every `intervalMs`: a peer that is
 * never idle long enough for an idle timeout, yet never finishes.
 */
export function trickle(
  body: string,
  intervalMs: number,
  status = 200,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): Behaviour {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.flushHeaders();
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed || i >= body.length) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body[i++]);
    }, intervalMs);
    res.on('close', () => clearInterval(timer));
  };
}

/**
 * A JSON array of about `bytes` bytes, streamed in chunks; with `declareLength` the
 * `Content-Length` announces it up front, otherwise it is chunked (so only counting can stop it).
 */
export function hugeJson(bytes: number, declareLength: boolean): Behaviour {
  const item = '{"date":"2030-01-01","temperatureC":1,"summary":"Mild"},';
  const count = Math.max(1, Math.floor((bytes - 2) / item.length));
  const chunkItems = Math.max(1, Math.floor((64 * 1024) / item.length));
  const length = 2 + count * item.length - 1;
  return (_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      ...(declareLength && { 'Content-Length': String(length) }),
    });
    res.write('[');
    let left = count;
    const pump = () => {
      while (!res.destroyed && left > 0) {
        const n = Math.min(chunkItems, left);
        left -= n;
        let chunk = item.repeat(n);
        if (left === 0) chunk = `${chunk.slice(0, -1)}]`;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };
}

/** What a slow client saw before the server closed its connection. */
export interface SlowClientResult {
  /** Milliseconds from connecting until the server closed the socket; undefined if it never did within `giveUpMs`. */
  closedAfterMs: number | undefined;
  /** Everything the server sent back (e.g. a `408 Request Timeout`). */
  response: string;
}

interface SlowClientOptions {
  /** Delay between two bytes sent. */
  intervalMs: number;
  /** Stop waiting (and destroy the socket) after this long. */
  giveUpMs: number;
  path?: string;
}

/** Writes `head` at once, then `tail` one byte every `intervalMs`, until the server closes the socket. */
function trickleRequest(
  url: string,
  head: string,
  tail: string,
  { intervalMs, giveUpMs }: SlowClientOptions,
): Promise<SlowClientResult> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  const started = Date.now();
  let response = '';
  let i = 0;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (response += chunk));
  socket.on('error', () => undefined);
  socket.once('connect', () => socket.write(head));
  const timer = setInterval(() => {
    if (socket.writable && tail.length > 0) socket.write(tail[i++ % tail.length]);
  }, intervalMs);
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      resolve({ closedAfterMs: undefined, response });
    }, giveUpMs);
    // 'end': the server closed its side (it may wait for ours before the socket closes).
    const done = () => {
      clearTimeout(giveUp);
      clearInterval(timer);
      socket.destroy();
      resolve({ closedAfterMs: Date.now() - started, response });
    };
    socket.once('end', done);
    socket.once('close', done);
  });
}

/** Sends the request line and then header bytes one at a time, never ending the header block. */
export function slowHeaderClient(
  url: string,
  options: SlowClientOptions,
): Promise<SlowClientResult> {
  const { host } = new URL(url);
  return trickleRequest(
    url,
    `GET ${options.path ?? '/'} HTTP/1.1\r\nHost: ${host}\r\nX-Slow: `,
    'a',
    options,
  );
}

/** Sends complete headers announcing a JSON body, then the body one byte at a time, never finishing it. */
export function slowBodyClient(url: string, options: SlowClientOptions): Promise<SlowClientResult> {
  const { host } = new URL(url);
  return trickleRequest(
    url,
    `POST ${options.path ?? '/'} HTTP/1.1\r\nHost: ${host}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n',
    ' ',
    options,
  );
}
