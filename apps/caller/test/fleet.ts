import type { LoggerService } from '@nestjs/common';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createConnection,
  createServer as createTcpServer,
  type Socket,
} from 'node:net';
import { demoClient, tokenRequests } from '../../../scripts/lib/fleet.mjs';

export const READ_SECRET = demoClient('weather-caller').secret;
export const WRITE_SECRET = demoClient('weather-admin').secret;

/** Token requests the emulator has counted for `clientId`, over every outcome. */
export { tokenRequests };

/** The caller's env for the demo pool's two clients against a given weather-api and issuer. */
export function demoCallerEnv(weatherApiUrl: string, tokenUrl: string): NodeJS.ProcessEnv {
  return {
    PORT: '0',
    LOG_LEVEL: 'warn',
    WEATHER_API_URL: weatherApiUrl,
    OAUTH_TOKEN_URL: tokenUrl,
    OAUTH_CLIENT_ID: 'weather-caller',
    OAUTH_CLIENT_SECRET: READ_SECRET,
    OAUTH_SCOPES: 'weather-api/forecast.read',
    OAUTH_WRITE_CLIENT_ID: 'weather-admin',
    OAUTH_WRITE_CLIENT_SECRET: WRITE_SECRET,
    OAUTH_WRITE_SCOPES: 'weather-api/forecast.write',
  };
}

/** Every line the app logged, with its arguments, to search for secrets and tokens. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private push(level: string, message: unknown, rest: unknown[]) {
    const render = (v: unknown) =>
      v instanceof Error ? `${v.name}: ${v.message} ${v.stack ?? ''}` : JSON.stringify(v);
    this.lines.push([level, render(message), ...rest.map(render)].join(' '));
  }
  log(message: unknown, ...rest: unknown[]) {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.push('verbose', message, rest);
  }
  get text() {
    return this.lines.join('\n');
  }
}

/** A stand-in weather-api whose answers the test scripts; it records the bearer tokens. */
export class ScriptedApi {
  readonly tokens: string[] = [];
  answer: (token: string, n: number, res: ServerResponse) => void = (_t, _n, res) =>
    this.json(res, 200, [{ date: '2030-01-01', temperatureC: 1, summary: 'Mild' }]);
  url = '';
  private server: Server;

  json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async start() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      this.tokens.push(token);
      this.answer(token, this.tokens.length, res);
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

/** A clock the test moves forward. */
export function movableClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms: number) => void (offset += ms),
  };
}

/**
 * A TCP proxy on an ephemeral port in front of `target` (`http://host:port`), so a test can
 * take a dependency "down" and bring it "back" while both keep their ports: down, the proxy
 * cuts open connections and resets new ones at once (a network error for the client).
 */
export class TcpProxy {
  url = '';
  down = false;
  private readonly sockets = new Set<Socket>();
  private readonly server = createTcpServer((client) => {
    if (this.down) return void client.resetAndDestroy();
    const { hostname, port } = new URL(this.target);
    const upstream = createConnection({ host: hostname, port: Number(port) });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });

  constructor(private readonly target: string) {}

  async start() {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Down: open connections cut, new ones reset. */
  setDown(down: boolean) {
    this.down = down;
    if (down) for (const s of this.sockets) s.destroy();
  }

  async stop() {
    this.setDown(true);
    this.server.close();
    await once(this.server, 'close');
  }
}
