import { HttpService } from '@nestjs/axios';
import { Test, type TestingModule } from '@nestjs/testing';
import { AxiosError, type InternalAxiosRequestConfig } from 'axios';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { firstValueFrom } from 'rxjs';
import {
  type Behaviour,
  hugeJson,
  peersClosedAfterEach,
  respond,
  trickle,
} from '../../../../test/helpers/hostile-peers.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { DownstreamError } from './client.errors.js';
import { M2MClientModule } from './client.module.js';
import { m2mErrorAnswer } from './m2m-error.filter.js';
import { getM2MHttpServiceToken, getTokenProviderToken } from './client.tokens.js';
import type { TokenProvider } from './token-provider.js';

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let issuer: { server: Server; url: string };
let api: { server: Server; url: string };
const issued: string[] = [];
const downstream: string[] = []; // Authorization headers seen
let answer: (auth: string, n: number) => number = () => 200;
let moduleRef: TestingModule;

beforeAll(async () => {
  issuer = await serve((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const client = new URLSearchParams(body).get('client_id') ?? 'basic';
      const token = `tok-${client}-${issued.length + 1}`;
      issued.push(token);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ access_token: token, expires_in: 3600, token_type: 'Bearer' }));
    });
  });
  api = await serve((req, res) => {
    if (req.url === '/drop') return void req.socket.destroy();
    const auth = req.headers.authorization ?? '';
    downstream.push(auth);
    const status = answer(auth, downstream.length);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, status }));
  });
});

afterAll(() => {
  issuer.server.close();
  api.server.close();
});

beforeEach(async () => {
  issued.length = 0;
  downstream.length = 0;
  answer = () => 200;
  const common = {
    tokenUrl: `${issuer.url}/oauth2/token`,
    authMethod: 'client_secret_post' as const,
    baseURL: api.url,
  };
  moduleRef = await Test.createTestingModule({
    imports: [
      MetricsModule.forRoot({ collectDefaultMetrics: false }),
      M2MClientModule.register({ name: 'read', clientId: 'reader', clientSecret: 's1', ...common }),
      M2MClientModule.registerAsync({
        name: 'write',
        useFactory: () => ({ clientId: 'writer', clientSecret: 's2', ...common }),
      }),
    ],
  }).compile();
});

afterEach(() => moduleRef.close());

const http = (name: string) => moduleRef.get<HttpService>(getM2MHttpServiceToken(name));

describe('M2MClientModule', () => {
  it('gives each named client its own axios instance, token and credentials', async () => {
    expect(http('read').axiosRef).not.toBe(http('write').axiosRef);
    await firstValueFrom(http('read').get('/a'));
    await firstValueFrom(http('read').get('/b'));
    await firstValueFrom(http('write').post('/c', { x: 1 }));
    expect(downstream).toEqual([
      'Bearer tok-reader-1',
      'Bearer tok-reader-1',
      'Bearer tok-writer-2',
    ]);
    const provider = moduleRef.get<TokenProvider>(getTokenProviderToken('write'));
    expect(await provider.getToken()).toBe('tok-writer-2');
    const metrics = await moduleRef.get(Registry).metrics();
    expect(metrics).toMatch(
      /m2m_downstream_request_duration_seconds_count\{client_id="reader",method="GET",status_class="2xx"\} 2/,
    );
  });

  it('attaches a cached token synchronously: the adapter runs before request() returns', async () => {
    const axios = http('read').axiosRef;
    const seen: (string | undefined)[] = [];
    const adapter = (config: InternalAxiosRequestConfig) => {
      seen.push(config.headers.get('Authorization') as string | undefined);
      return Promise.resolve({ data: {}, status: 200, statusText: 'OK', headers: {}, config });
    };
    const cold = axios.request({ url: '/cold', adapter });
    expect(seen).toEqual([]); // no token yet: it waits for one
    await cold;
    const warm = axios.request({ url: '/warm', adapter });
    expect(seen).toEqual(['Bearer tok-reader-1', 'Bearer tok-reader-1']);
    await warm;
    expect(issued).toEqual(['tok-reader-1']);
  });

  it('answers a 401 with one new token and one retry', async () => {
    answer = (_, n) => (n === 2 ? 401 : 200);
    await firstValueFrom(http('read').get('/warm'));
    const res = await firstValueFrom(http('read').get('/x'));
    expect(res.status).toBe(200);
    expect(downstream).toEqual([
      'Bearer tok-reader-1',
      'Bearer tok-reader-1',
      'Bearer tok-reader-2',
    ]);
    expect(issued).toHaveLength(2);
  });

  it('stops after the retry when the downstream keeps answering 401, with the token redacted', async () => {
    answer = () => 401;
    const error = await firstValueFrom(http('read').get('/x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect(downstream).toHaveLength(2);
    expect(issued).toHaveLength(2);
    expect((error as AxiosError).config?.headers.Authorization).toBe('[REDACTED]');
  });

  it('never retries a 403', async () => {
    answer = () => 403;
    await expect(firstValueFrom(http('read').get('/x'))).rejects.toBeInstanceOf(AxiosError);
    expect(downstream).toHaveLength(1);
    expect(issued).toHaveLength(1);
  });

  it('costs one token for 200 concurrent 401s of the same token', async () => {
    await firstValueFrom(http('read').get('/warm'));
    answer = (auth) => (auth === 'Bearer tok-reader-1' ? 401 : 200);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => firstValueFrom(http('read').get('/x'))),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(issued).toEqual(['tok-reader-1', 'tok-reader-2']);
  });

  it('lets no error leave with the token: inspected deeply or serialised', async () => {
    const errors: unknown[] = [];
    answer = (_, n) => (n <= 2 ? 401 : 500);
    errors.push(await firstValueFrom(http('read').get('/401')).catch((e: unknown) => e));
    errors.push(await firstValueFrom(http('read').get('/500')).catch((e: unknown) => e));
    errors.push(await firstValueFrom(http('read').get('/drop')).catch((e: unknown) => e));
    expect(issued).toHaveLength(2);
    expect(errors.map((e) => (e as AxiosError).response?.status)).toEqual([401, 500, undefined]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(AxiosError);
      const text = inspect(error, { depth: 10 }) + JSON.stringify(error);
      for (const token of issued) expect(text).not.toContain(token);
      expect(text).not.toContain('s1');
    }
  });

  it('sends the token only to the origin of baseURL', async () => {
    const seen: (string | undefined)[] = [];
    const other = await serve((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(req.url === '/401' ? 401 : 200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    try {
      await firstValueFrom(http('read').get(`${other.url}/x`));
      await firstValueFrom(http('read').get('/x', { baseURL: other.url }));
      const denied = await firstValueFrom(http('read').get(`${other.url}/401`)).catch(
        (e: unknown) => e,
      );
      expect((denied as AxiosError).response?.status).toBe(401);
      expect(seen).toEqual([undefined, undefined, undefined]);
      expect(issued).toEqual([]); // nothing went to the API, so no token was needed
      await firstValueFrom(http('read').get(`${api.url}/absolute-same-origin`));
      await firstValueFrom(http('read').get('/relative'));
      expect(downstream).toEqual(['Bearer tok-reader-1', 'Bearer tok-reader-1']);
    } finally {
      other.server.close();
    }
  });
});

describe('M2MClientModule bounds against a hostile downstream', () => {
  const peer = peersClosedAfterEach();
  const refs: TestingModule[] = [];
  afterEach(async () => {
    await Promise.all(refs.splice(0).map((ref) => ref.close()));
  });

  /** The HttpService of a client of `behaviour`, with `limits`. */
  const clientOf = async (
    behaviour: Behaviour,
    limits: { requestTimeoutMs?: number; maxResponseBytes?: number } = {},
  ) => {
    const downstreamPeer = await peer(behaviour);
    const ref = await Test.createTestingModule({
      imports: [
        M2MClientModule.register({
          name: 'bounded',
          downstream: 'hostile-api',
          tokenUrl: `${issuer.url}/oauth2/token`,
          authMethod: 'client_secret_post',
          clientId: 'reader',
          clientSecret: 's1',
          baseURL: downstreamPeer.url,
          ...limits,
        }),
      ],
    }).compile();
    refs.push(ref);
    return { http: ref.get<HttpService>(getM2MHttpServiceToken('bounded')), downstreamPeer };
  };
  const failure = async (call: Promise<unknown>): Promise<unknown> =>
    call.then(
      () => {
        throw new Error('the call succeeded');
      },
      (e: unknown) => e,
    );

  it('aborts a body that trickles past the total deadline, closing the connection', async () => {
    const { http: client, downstreamPeer } = await clientOf(trickle('[1,2,3,4,5,6,7,8,9]', 50), {
      requestTimeoutMs: 300,
    });
    const started = Date.now();
    const err = await failure(firstValueFrom(client.get('/')));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(DownstreamError);
    expect(err).toMatchObject({ code: 'downstream_timeout', dependency: 'hostile-api' });
    expect(await downstreamPeer.allClosed(2000)).toBe(true);
    expect(m2mErrorAnswer(err)).toMatchObject({
      status: 503,
      retryAfter: 5,
      body: { dependency: 'hostile-api', dependency_error: 'timeout' },
    });
  });

  it('keeps one deadline across the retry after a 401', async () => {
    const slow401: Behaviour = (_req, res) =>
      void setTimeout(() => {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
        res.end();
      }, 250);
    const { http: client, downstreamPeer } = await clientOf(slow401, { requestTimeoutMs: 400 });
    const err = await failure(firstValueFrom(client.get('/')));
    expect(err).toMatchObject({ code: 'downstream_timeout' });
    expect(downstreamPeer.requests).toBe(2);
  });

  it.each([
    ['chunked', false],
    ['with a Content-Length', true],
  ])('aborts a 50 MB body (%s) at the size cap, closing the connection', async (_how, declared) => {
    const { http: client, downstreamPeer } = await clientOf(hugeJson(50_000_000, declared), {
      maxResponseBytes: 1024 * 1024,
    });
    const err = await failure(firstValueFrom(client.get('/')));
    expect(err).toMatchObject({
      code: 'downstream_too_large',
      message: 'hostile-api answered more than 1048576 bytes',
    });
    expect(await downstreamPeer.allClosed(2000)).toBe(true);
    expect(downstreamPeer.bytesSent).toBeLessThan(20_000_000);
    expect(m2mErrorAnswer(err)).toMatchObject({
      status: 502,
      body: { dependency_error: 'response_too_large' },
    });
  });

  it.each([
    ['text/plain', '<script>alert(document.domain)</script>'],
    ['text/html', '[1]'],
    ['application/json', '{"half":'],
  ])('refuses a 200 %s body that is not JSON it parsed', async (type, body) => {
    const { http: client } = await clientOf(respond(200, { 'Content-Type': type }, body));
    const err = await failure(firstValueFrom(client.get('/')));
    expect(err).toMatchObject({ code: 'downstream_not_json' });
    const answer = m2mErrorAnswer(err);
    expect(answer).toMatchObject({ status: 502, body: { dependency_error: 'invalid_response' } });
    expect(JSON.stringify(answer)).not.toContain(body);
  });

  it('parses JSON and +json bodies, and an empty 204 as undefined', async () => {
    const { http: json } = await clientOf(
      respond(200, { 'Content-Type': 'application/problem+json; charset=utf-8' }, '{"a":1}'),
    );
    expect((await firstValueFrom(json.get('/'))).data).toEqual({ a: 1 });
    const { http: empty } = await clientOf(respond(204, {}));
    expect((await firstValueFrom(empty.get('/'))).data).toBeUndefined();
    const { http: text } = await clientOf(respond(200, { 'Content-Type': 'text/plain' }, 'hi'));
    expect((await firstValueFrom(text.get('/', { responseType: 'text' }))).data).toBe('hi');
  });

  it('passes on only RFC 6750 error codes of a refusal, never an opaque value', async () => {
    const opaque = 'zq81Xv_opaque.tok';
    const { http: client } = await clientOf(
      respond(
        403,
        { 'Content-Type': 'application/json', 'WWW-Authenticate': `Bearer error="${opaque}"` },
        JSON.stringify({ error: opaque, error_description: opaque }),
      ),
    );
    const answer = m2mErrorAnswer(await failure(firstValueFrom(client.get('/'))));
    expect(answer).toMatchObject({
      status: 502,
      body: { dependency_status: 403, dependency_error: 'http_403' },
    });
    expect(JSON.stringify(answer)).not.toContain(opaque);
    const { http: scoped } = await clientOf(
      respond(403, { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="x"' }),
    );
    expect(m2mErrorAnswer(await failure(firstValueFrom(scoped.get('/'))))).toMatchObject({
      body: { dependency_error: 'insufficient_scope' },
    });
  });

  it('refuses a deadline or size cap that is not a positive whole number', async () => {
    await expect(clientOf(respond(200, {}), { requestTimeoutMs: 0 })).rejects.toMatchObject({
      code: 'invalid_options',
      option: 'requestTimeoutMs',
    });
  });
});
