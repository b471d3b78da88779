import type { AddressInfo, Server } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { INestApplication } from '@nestjs/common';

/**
 * `http://host:port` (or `https://` with `secure`), with an IPv6 `host` in brackets.
 *
 * @example
 * ```ts
 * httpUrl('127.0.0.1', 3000); // 'http://127.0.0.1:3000'
 * httpUrl('::1', 3000, true); // 'https://[::1]:3000'
 * ```
 */
export function httpUrl(host: string, port: number, secure = false): string {
  return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * The URL `app` is listening on: {@link httpUrl} of `host` and the port the server actually
 * bound (so `PORT=0` gives the ephemeral port), `https` when it serves TLS (`httpsOptions`).
 * Call it after `app.listen`.
 *
 * @example
 * ```ts
 * await app.listen(0, '127.0.0.1');
 * listeningUrl(app, '127.0.0.1'); // 'http://127.0.0.1:54321'
 * ```
 */
export function listeningUrl(app: INestApplication, host: string): string {
  const server = app.getHttpServer() as Server;
  const { port } = server.address() as AddressInfo;
  return httpUrl(host, port, server instanceof TlsServer);
}
