import { rotationConfigFromEnv } from './rotation-config.js';

const ENV = {
  USER_POOL_ID: 'eu-west-1_AbCdEf123',
  CLIENT_ID: '4k2hq9xbr7u1c5ehsm0n3fj6dl',
  SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:caller-AbCdEf',
  TOKEN_URL: 'https://fleet.auth.eu-west-1.amazoncognito.com/oauth2/token',
};

describe('rotationConfigFromEnv', () => {
  it('reads the stack-given environment: the token endpoint check by default, or the API', () => {
    expect(rotationConfigFromEnv(ENV)).toEqual({
      userPoolId: ENV.USER_POOL_ID,
      clientId: ENV.CLIENT_ID,
      secretArn: ENV.SECRET_ARN,
      check: { kind: 'token-endpoint', tokenUrl: ENV.TOKEN_URL },
    });
    const { TOKEN_URL: _, ...api } = ENV;
    expect(rotationConfigFromEnv({ ...api, SECRET_CHECK: 'api' }).check).toEqual({ kind: 'api' });
  });

  it.each([
    [{ CLIENT_ID: '' }, 'CLIENT_ID is required'],
    [{ USER_POOL_ID: undefined }, 'USER_POOL_ID is required'],
    [{ SECRET_ARN: ' ' }, 'SECRET_ARN is required'],
    [{ TOKEN_URL: undefined }, 'TOKEN_URL is required'],
    [{ TOKEN_URL: 'ftp://x/oauth2/token' }, 'TOKEN_URL must be an http(s) URL'],
    [{ SECRET_CHECK: 'both' }, 'SECRET_CHECK must be token-endpoint or api'],
  ])('refuses %j at cold start, naming the variable', (change, message) => {
    expect(() => rotationConfigFromEnv({ ...ENV, ...change })).toThrow(message);
  });
});
