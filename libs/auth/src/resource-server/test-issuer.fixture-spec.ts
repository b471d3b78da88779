// Test-only: a tiny token issuer on a loopback port (hand-made tokens + a JWKS
// endpoint that can be switched off and counts its fetches). Not built into dist.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface TestKey {
  kid: string;
  privateKey: PrivateKey;
  jwk: JWK;
  publicPem: string;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
    publicPem: await exportSPKI(publicKey),
  };
}

export class TestIssuer {
  fetches = 0;
  /** When true, the JWKS endpoint answers 503. */
  down = false;
  published: TestKey[];
  /** Other key sets served on this issuer's host (an attacker's), by path, with their hit counts. */
  private readonly hosted = new Map<string, { keys: TestKey[]; hits: number }>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly jwksUri: string,
    readonly key: TestKey,
  ) {
    this.published = [key];
  }

  static async start(poolId = 'local_test'): Promise<TestIssuer> {
    const key = await makeKey('key-1');
    const holder: { self?: TestIssuer } = {};
    const server = createServer((req, res) => {
      const self = holder.self;
      const hosted = self?.hosted.get(req.url ?? '');
      if (hosted) {
        hosted.hits++;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: hosted.keys.map((k) => k.jwk) }));
        return;
      }
      if (req.url !== `/${poolId}/.well-known/jwks.json` || !self) {
        res.writeHead(404).end();
        return;
      }
      self.fetches++;
      if (self.down) {
        res.writeHead(503).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: self.published.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const issuer = `http://127.0.0.1:${port}/${poolId}`;
    holder.self = new TestIssuer(server, issuer, `${issuer}/.well-known/jwks.json`, key);
    return holder.self;
  }

  /** Serves `keys` as a JWKS at `path` on this host (counting requests); returns its URL. */
  host(path: string, keys: TestKey[]): string {
    this.hosted.set(path, { keys, hits: 0 });
    return `${new URL(this.issuer).origin}${path}`;
  }

  /** Requests served at a path given to `host()`. */
  hits(path: string): number {
    return this.hosted.get(path)?.hits ?? 0;
  }

  /** An access token like Cognito's client-credentials ones; override claims/header freely. */
  async token(
    claims: Record<string, unknown> = {},
    options: { key?: TestKey; kid?: string; header?: Record<string, unknown> } = {},
  ): Promise<string> {
    const key = options.key ?? this.key;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      sub: 'weather-caller',
      client_id: 'weather-caller',
      token_use: 'access',
      scope: 'weather-api/forecast.read',
      auth_time: now,
      iss: this.issuer,
      iat: now,
      exp: now + 3600,
      jti: crypto.randomUUID(),
      version: 2,
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, ...options.header })
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
