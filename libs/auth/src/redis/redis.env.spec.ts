import { EnvConfigError } from '../shared/errors.js';
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
