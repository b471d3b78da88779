import { Controller, Get, type INestApplication, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { LoggingModule, parseLogLevel, useStructuredLogger } from './logging.module.js';

@Controller()
class HelloController {
  private readonly logger = new Logger('Hello');
  @Get('hello')
  hello() {
    this.logger.log('handling hello');
    return {};
  }
}

async function appWith(service: string, lines: string[], level?: 'info' | 'warn') {
  const ref = await Test.createTestingModule({
    imports: [
      LoggingModule.forRoot({
        service,
        level,
        destination: { write: (line: string) => void lines.push(line) },
      }),
    ],
    controllers: [HelloController],
  }).compile();
  const app = ref.createNestApplication({ bufferLogs: true });
  useStructuredLogger(app);
  await app.init();
  return app;
}

const parse = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('LoggingModule with two apps in one process', () => {
  const aLines: string[] = [];
  const bLines: string[] = [];
  let a: INestApplication;
  let b: INestApplication;

  beforeAll(async () => {
    a = await appWith('app-a', aLines);
    b = await appWith('app-b', bLines, 'warn');
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it("keeps each app's request lines in its own destination, service and level", async () => {
    aLines.length = 0;
    bLines.length = 0;
    await request(a.getHttpServer()).get('/hello').set('x-request-id', 'a-1').expect(200);
    await request(b.getHttpServer()).get('/hello').set('x-request-id', 'b-1').expect(200);
    await request(a.getHttpServer()).get('/hello').set('x-request-id', 'a-2').expect(200);

    expect(parse(aLines).map((l) => [l.service, l.reqId, l.msg])).toEqual([
      ['app-a', 'a-1', 'handling hello'],
      ['app-a', 'a-1', 'request completed'],
      ['app-a', 'a-2', 'handling hello'],
      ['app-a', 'a-2', 'request completed'],
    ]);
    // app-b logs at warn: its info lines are dropped, and none went to app-a.
    expect(bLines).toEqual([]);
  });
});

describe('parseLogLevel', () => {
  it("maps pino's and Nest's names and defaults to info", () => {
    expect(parseLogLevel(undefined)).toBe('info');
    expect(parseLogLevel('')).toBe('info');
    expect(parseLogLevel('debug')).toBe('debug');
    expect(parseLogLevel('WARN')).toBe('warn');
    expect(parseLogLevel('log')).toBe('info');
    expect(parseLogLevel('verbose')).toBe('trace');
    expect(parseLogLevel('silent')).toBe('silent');
  });

  it('names the variable when the value is unknown', () => {
    expect(() => parseLogLevel('loud')).toThrow(/LOG_LEVEL must be one of .*got "loud"/);
  });
});
