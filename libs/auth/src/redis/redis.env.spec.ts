import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvConfigError } from '../shared/errors.js';
import { RedisConnection } from './redis-connection.js';
import { RedisConfigError } from './redis.errors.js';
import { redisConnectionOptionsFromEnv } from './redis-connection.env.js';
import { redisTokenCacheFromEnv, redisTokenCacheOptionsFromEnv } from './redis.env.js';

describe('redisTokenCacheOptionsFromEnv', () => {
  it('unset: no shared cache (each process keeps its own)', () => {
    expect(redisTokenCacheOptionsFromEnv({})).toBeUndefined();
    expect(redisTokenCacheOptionsFromEnv({ TOKEN_CACHE_REDIS_URL: '  ' })).toBeUndefined();
    expect(redisTokenCacheFromEnv({})).toBeUndefined();
  });

  it('reads the URL and the key prefix', () => {
    expect(
      redisTokenCacheOptionsFromEnv({
        TOKEN_CACHE_REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
        TOKEN_CACHE_KEY_PREFIX: 'fleet-a:',
      }),
    ).toEqual({ url: 'rediss://:pw@cache.internal:6380/2', keyPrefix: 'fleet-a:' });
    expect(redisTokenCacheOptionsFromEnv({ TOKEN_CACHE_REDIS_URL: 'redis://redis:6379' })).toEqual({
      url: 'redis://redis:6379',
    });
  });

  it.each([
    [{ TOKEN_CACHE_REDIS_URL: 'http://:hunter2-password@redis:6379' }, 'TOKEN_CACHE_REDIS_URL'],
    [{ TOKEN_CACHE_REDIS_URL: 'not a url hunter2-password' }, 'TOKEN_CACHE_REDIS_URL'],
    [{ TOKEN_CACHE_KEY_PREFIX: 'fleet:' }, 'TOKEN_CACHE_REDIS_URL'],
    [
      { TOKEN_CACHE_REDIS_URL: 'redis://redis:6379', TOKEN_CACHE_KEY_PREFIX: 'has space' },
      'TOKEN_CACHE_KEY_PREFIX',
    ],
  ])('fails at start-up naming the variable, never its value: %j', (env, variable) => {
    const error: unknown = (() => {
      try {
        redisTokenCacheOptionsFromEnv(env);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error).toMatchObject({ variable, code: 'invalid_config' });
    expect((error as Error).message).toContain(variable);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('redisConnectionOptionsFromEnv: one reader for every Redis user of the library', () => {
  let dir: string;
  let caFile: string;
  let notPem: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-env-'));
    caFile = join(dir, 'ca.pem');
    notPem = join(dir, 'not.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
      ].concat([
        '-keyout',
        join(dir, 'ca.key'),
        '-out',
        caFile,
        '-days',
        '1',
        '-subj',
        '/CN=env test',
      ]),
      { stdio: 'ignore' },
    );
    await writeFile(notPem, 'hunter2-password is not a certificate');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads each topology under its own prefix', () => {
    expect(
      redisConnectionOptionsFromEnv(
        {
          AUTH_REVOCATION_REDIS_URL: 'rediss://a:6379, rediss://b:6379',
          AUTH_REVOCATION_REDIS_MODE: 'cluster',
          AUTH_REVOCATION_REDIS_CA_FILE: caFile,
          TOKEN_CACHE_REDIS_URL: 'redis://elsewhere:6379',
        },
        'AUTH_REVOCATION_REDIS',
      ),
    ).toEqual({ url: 'rediss://a:6379, rediss://b:6379', mode: 'cluster', caFile });
    expect(
      redisTokenCacheOptionsFromEnv({
        TOKEN_CACHE_REDIS_URL: 'redis://s1:26379,redis://s2:26379,redis://s3:26379',
        TOKEN_CACHE_REDIS_MODE: 'sentinel',
        TOKEN_CACHE_REDIS_SENTINEL_MASTER: 'm2m-cache',
      }),
    ).toEqual({
      url: 'redis://s1:26379,redis://s2:26379,redis://s3:26379',
      mode: 'sentinel',
      sentinelMaster: 'm2m-cache',
    });
    expect(
      redisTokenCacheOptionsFromEnv({
        TOKEN_CACHE_REDIS_URL: 'rediss://app:pw@10.0.0.5:6379',
        TOKEN_CACHE_REDIS_TLS_SERVERNAME: 'cache.internal',
      }),
    ).toEqual({ url: 'rediss://app:pw@10.0.0.5:6379', tlsServerName: 'cache.internal' });
    expect(redisConnectionOptionsFromEnv({}, 'AUTH_REVOCATION_REDIS')).toBeUndefined();
  });

  const URL_VAR = 'TOKEN_CACHE_REDIS_URL';
  it.each([
    [{ TOKEN_CACHE_REDIS_MODE: 'cluster' }, URL_VAR],
    [
      { [URL_VAR]: 'redis://a:6379', TOKEN_CACHE_REDIS_MODE: 'clustered' },
      'TOKEN_CACHE_REDIS_MODE',
    ],
    [{ [URL_VAR]: 'redis://:hunter2-password@a:6379,redis://b:6379' }, URL_VAR],
    [
      {
        [URL_VAR]: 'redis://:hunter2-password@a:6379,rediss://b:6379',
        TOKEN_CACHE_REDIS_MODE: 'cluster',
      },
      URL_VAR,
    ],
    [
      {
        [URL_VAR]: 'redis://u:hunter2-password@a:6379,redis://u:other@b:6379',
        TOKEN_CACHE_REDIS_MODE: 'cluster',
      },
      URL_VAR,
    ],
    [
      { [URL_VAR]: 'redis://:hunter2-password@a:6379/3', TOKEN_CACHE_REDIS_MODE: 'cluster' },
      URL_VAR,
    ],
    [{ [URL_VAR]: 'redis://:hunter2-password@a:6379?tls=1' }, URL_VAR],
    [
      { [URL_VAR]: 'redis://a:26379', TOKEN_CACHE_REDIS_MODE: 'sentinel' },
      'TOKEN_CACHE_REDIS_SENTINEL_MASTER',
    ],
    [
      { [URL_VAR]: 'redis://a:6379', TOKEN_CACHE_REDIS_SENTINEL_MASTER: 'm' },
      'TOKEN_CACHE_REDIS_SENTINEL_MASTER',
    ],
    [
      { [URL_VAR]: 'redis://:hunter2-password@a:6379', TOKEN_CACHE_REDIS_CA_FILE: '/x.pem' },
      'TOKEN_CACHE_REDIS_CA_FILE',
    ],
    [
      { [URL_VAR]: 'rediss://a:6379', TOKEN_CACHE_REDIS_CA_FILE: '/nonexistent/hunter2.pem' },
      'TOKEN_CACHE_REDIS_CA_FILE',
    ],
    [
      { [URL_VAR]: 'rediss://a:6379', TOKEN_CACHE_REDIS_CA_FILE: 'NOT_PEM' },
      'TOKEN_CACHE_REDIS_CA_FILE',
    ],
    [
      { [URL_VAR]: 'redis://a:6379', TOKEN_CACHE_REDIS_TLS_SERVERNAME: 'a.b' },
      'TOKEN_CACHE_REDIS_TLS_SERVERNAME',
    ],
    [
      { [URL_VAR]: 'rediss://a:6379', TOKEN_CACHE_REDIS_TLS_SERVERNAME: '10.0.0.1' },
      'TOKEN_CACHE_REDIS_TLS_SERVERNAME',
    ],
  ])('one error naming the one bad variable, never a value: %j', (env, variable) => {
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, v === 'NOT_PEM' ? notPem : v]),
    );
    const error: unknown = (() => {
      try {
        redisTokenCacheOptionsFromEnv(resolved);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EnvConfigError);
    expect(error).toMatchObject({ variable, code: 'invalid_config' });
    expect((error as Error).message).toContain(variable);
    expect((error as Error).message).not.toMatch(/hunter2|nonexistent|not a certificate/);
  });

  it('the same rules for typed options, naming the option', () => {
    const refuse = (options: ConstructorParameters<typeof RedisConnection>[0]) => {
      try {
        new RedisConnection(options);
      } catch (e) {
        return e;
      }
      throw new Error('accepted');
    };
    expect(refuse({ url: ['redis://a:6379', 'redis://b:6379'] })).toMatchObject({
      option: 'url',
      code: 'invalid_options',
    });
    expect(refuse({ url: 'redis://a:6379', mode: 'sentinel' })).toBeInstanceOf(RedisConfigError);
    expect(refuse({ url: 'rediss://a:6379', caFile: notPem })).toMatchObject({ option: 'caFile' });
    expect(refuse({ url: 'redis://a:6379', connectTimeoutMs: 0 })).toMatchObject({
      option: 'connectTimeoutMs',
    });
    expect(
      new RedisConnection({ url: ['redis://a:6379', 'redis://b:6379'], mode: 'cluster' }).mode,
    ).toBe('cluster');
    expect(new RedisConnection({ url: 'rediss://a:6379', caFile }).mode).toBe('standalone');
  });
});
