import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  type INestApplication,
  Logger,
  Post,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import axios from 'axios';
import { generateKeyPair, SignJWT } from 'jose';
import request from 'supertest';
import { LoggingModule, useStructuredLogger } from './logging.module.js';
import { RequestIdContext } from './request-id.js';

const lines: string[] = [];
const downstreamHeaders: IncomingHttpHeaders[] = [];
let downstreamUrl = '';

@Controller()
class CarelessController {
  private readonly logger = new Logger(CarelessController.name);
  private readonly http = axios.create();

  constructor(ids: RequestIdContext) {
    ids.propagateTo(this.http);
  }

  // Logs everything it is given, the way a hurried handler might.
  @Post('oauth2/token')
  @HttpCode(200)
  token(@Headers('authorization') authorization: string, @Body() body: Record<string, string>) {
    this.logger.log(`token request with Authorization: ${authorization}`);
    this.logger.log({ msg: 'token request body', body });
    this.logger.warn(`form was client_id=${body.client_id}&client_secret=${body.client_secret}`);
    return { ok: true };
  }

  @Get('fail')
  fail(@Headers('authorization') authorization: string): never {
    throw new Error(`upstream refused ${authorization}`);
  }

  @Get('relay')
  async relay() {
    this.logger.log('relaying');
    await this.http.get(downstreamUrl);
    return { relayed: true };
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }
}

let app: INestApplication;
let downstream: Server;
let jwt: string;
const secret = 'weather-caller-dev-secret';

beforeAll(async () => {
  const { privateKey } = await generateKeyPair('RS256');
  jwt = await new SignJWT({ client_id: 'weather-caller', scope: 'weather-api/forecast.read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('http://127.0.0.1:4000/us-east-1_Weather01')
    .setExpirationTime('5m')
    .sign(privateKey);

  downstream = createServer((req, res) => {
    downstreamHeaders.push(req.headers);
    res.end('{}');
  });
  await new Promise<void>((resolve) => downstream.listen(0, '127.0.0.1', resolve));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}/`;

  const ref = await Test.createTestingModule({
    imports: [
      LoggingModule.forRoot({
        service: 'logging-spec',
        destination: { write: (line: string) => void lines.push(line) },
      }),
    ],
    controllers: [CarelessController],
  }).compile();
  app = ref.createNestApplication({ bufferLogs: true });
  useStructuredLogger(app);
  await app.init();
});

afterAll(async () => {
  await app.close();
  await new Promise((resolve) => downstream.close(resolve));
});

beforeEach(() => {
  lines.length = 0;
});

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('LoggingModule', () => {
  it('never writes the bearer token, the basic credentials or the client secret', async () => {
    const basic = Buffer.from(`weather-caller:${secret}`).toString('base64');
    await request(app.getHttpServer())
      .post('/oauth2/token')
      .set('Authorization', `Bearer ${jwt}`)
      .set('Cookie', 'session=s3cr3t-cookie-value')
      .type('form')
      .send({
        grant_type: 'client_credentials',
        client_id: 'weather-caller',
        client_secret: secret,
      })
      .expect(200);
    await request(app.getHttpServer())
      .post('/oauth2/token')
      .set('Authorization', `Basic ${basic}`)
      .send({
        client_secret: secret,
        access_token: jwt,
        nested: { password: 'Alice-dev-password-1' },
      })
      .expect(200);
    await request(app.getHttpServer())
      .get('/fail')
      .set('Authorization', `Bearer ${jwt}`)
      .expect(500);

    const output = lines.join('');
    // The handler did log: the lines exist, only the credentials are gone.
    expect(output).toContain('token request with Authorization: Bearer [Redacted]');
    expect(output).toContain('client_id=weather-caller&client_secret=[Redacted]');
    expect(output).toContain('upstream refused Bearer [Redacted]');
    for (const leaked of [
      jwt,
      jwt.split('.')[1],
      jwt.split('.')[2],
      basic,
      secret,
      's3cr3t-cookie-value',
      'Alice-dev-password-1',
    ]) {
      expect(output).not.toContain(leaked);
    }
    const completed = parsed().filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(2);
  });

  it('logs one line per request with method, path, address, status, duration and id only', async () => {
    const res = await request(app.getHttpServer())
      .post('/oauth2/token?client_secret=in-the-query&code=42')
      .set('Authorization', `Bearer ${jwt}`)
      .set('Cookie', 'session=s3cr3t-cookie-value')
      .set('x-request-id', 'fields-1')
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const completed = parsed().filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(1);
    const [line] = completed;
    expect(Object.keys(line).sort()).toEqual(
      ['level', 'time', 'service', 'reqId', 'req', 'res', 'responseTime', 'msg'].sort(),
    );
    expect(line).toMatchObject({
      level: 30,
      service: 'logging-spec',
      reqId: res.headers['x-request-id'],
      req: { method: 'POST', url: '/oauth2/token' },
      res: { statusCode: 200 },
    });
    expect(res.headers['x-request-id']).toBe('fields-1');
    expect(Object.keys(line.req as object).sort()).toEqual(['method', 'remoteAddress', 'url']);
    expect((line.req as { remoteAddress: string }).remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(Object.keys(line.res as object)).toEqual(['statusCode']);
    expect(line.responseTime).toEqual(expect.any(Number));
    const text = JSON.stringify(line);
    for (const absent of ['headers', 'authorization', 'cookie', 'in-the-query', 'code=42']) {
      expect(text.toLowerCase()).not.toContain(absent);
    }
  });

  it('logs a 5xx request line at error level', async () => {
    await request(app.getHttpServer()).get('/fail').expect(500);
    const completed = parsed().filter((l) => l.msg === 'request errored');
    expect(completed.map((l) => [l.level, (l.res as { statusCode: number }).statusCode])).toEqual([
      [50, 500],
    ]);
  });

  it('puts the request id on every line of a request and echoes it', async () => {
    const res = await request(app.getHttpServer())
      .get('/relay')
      .set('x-request-id', 'trace-42.a_b')
      .expect(200);
    expect(res.headers['x-request-id']).toBe('trace-42.a_b');
    const requestLines = parsed().filter((l) => l.reqId !== undefined);
    expect(requestLines.map((l) => l.msg)).toEqual(['relaying', 'request completed']);
    expect(requestLines.every((l) => l.reqId === 'trace-42.a_b')).toBe(true);
  });

  it('replaces an unsafe incoming id with a generated one', async () => {
    for (const bad of ['has space', 'x'.repeat(129), 'a;b', 'é']) {
      const res = await request(app.getHttpServer())
        .get('/health/live')
        .set('x-request-id', bad)
        .expect(200);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    const res = await request(app.getHttpServer()).get('/relay').expect(200);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('forwards the request id to downstream calls', async () => {
    downstreamHeaders.length = 0;
    await request(app.getHttpServer()).get('/relay').set('x-request-id', 'fwd-1').expect(200);
    const res = await request(app.getHttpServer()).get('/relay').expect(200);
    expect(downstreamHeaders.map((h) => h['x-request-id'])).toEqual([
      'fwd-1',
      res.headers['x-request-id'],
    ]);
  });

  it('does not log health probes', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200);
    await request(app.getHttpServer()).get('/relay').expect(200);
    const completed = parsed().filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => (l.req as { url: string }).url)).toEqual(['/relay']);
  });
});
