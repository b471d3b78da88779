import { stripVTControlCharacters } from 'node:util';
import { Controller, Get, Headers, type INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { LoggingModule, useStructuredLogger } from './logging.module.js';

// A file of its own: nestjs-pino keeps one root logger per process (per test file here).
const lines: string[] = [];

@Controller()
class EchoController {
  private readonly logger = new Logger('Echo');
  @Get('echo')
  echo(@Headers('authorization') authorization: string) {
    this.logger.log(`called with ${authorization}`);
    return {};
  }
}

let app: INestApplication;

beforeAll(async () => {
  const ref = await Test.createTestingModule({
    imports: [
      LoggingModule.forRoot({
        service: 'pretty-spec',
        pretty: true,
        destination: { write: (line: string) => void lines.push(line) },
      }),
    ],
    controllers: [EchoController],
  }).compile();
  app = ref.createNestApplication({ bufferLogs: true });
  useStructuredLogger(app);
  await app.init();
});

afterAll(() => app.close());

describe('LoggingModule with pretty: true', () => {
  it('writes one readable line per event, still scrubbed, still with the request id', async () => {
    lines.length = 0;
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    await request(app.getHttpServer())
      .get('/echo')
      .set('Authorization', `Bearer ${token}`)
      .set('x-request-id', 'pretty-1')
      .expect(200);
    const text = lines.join('');
    expect(lines).toHaveLength(2);
    expect(text).not.toContain(token);
    // Colours depend on the terminal; compare without them.
    const plain = stripVTControlCharacters(text);
    expect(plain).toMatch(/INFO: \[Echo\] called with Bearer \[Redacted\] \{"reqId":"pretty-1"\}/);
    expect(plain).toMatch(
      /INFO: request completed GET \/echo -> 200 in \d+ ms \{"reqId":"pretty-1"\}/,
    );
  });
});
