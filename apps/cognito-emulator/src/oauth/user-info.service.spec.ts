import { parsePool } from '@app/fleet-auth';
import { KeyStore } from '../keys/key-store.js';
import { PoolStore } from '../pool/pool-store.js';
import { RefreshTokenStore } from '../refresh-tokens/refresh-token.store.js';
import { Clock } from '../shared/clock.js';
import { EmulatorRuntime } from '../tokens/emulator-runtime.js';
import { TokenSigner, userTokensClaims } from '../tokens/token-signer.js';
import { OAuthError } from './oauth.error.js';
import { UserInfoService } from './user-info.service.js';

const pool = new PoolStore(
  parsePool({
    userPoolId: 'eu-west-1_Test',
    clients: [{ clientId: 'web', clientSecret: null }],
    users: [{ username: 'alice', password: 'pw', email: 'alice@example.com' }],
  }),
);

const runtime = new EmulatorRuntime(pool);
runtime.setBase('http://127.0.0.1:4000');
const issuer = runtime.issuer;

describe('UserInfoService', () => {
  let keys: KeyStore;
  let signer: TokenSigner;
  let refreshTokens: RefreshTokenStore;
  let service: UserInfoService;
  const accessToken = (scope: string, originJti = 'c0ffee00-0000-4000-8000-000000000000') => {
    const { access } = userTokensClaims({
      issuer,
      clientId: 'web',
      userPoolId: pool.userPoolId,
      username: 'alice',
      email: 'alice@example.com',
      accessValiditySeconds: 3600,
      idValiditySeconds: 3600,
      originJti,
      now: Math.floor(Date.now() / 1000),
    });
    return signer.sign({ ...access, scope });
  };
  const failure = async (token: string) => {
    const err = await service.userInfo(`Bearer ${token}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    const { code, status, description } = err as OAuthError;
    return { code, status, description };
  };
  beforeAll(async () => {
    keys = await KeyStore.open({ retentionSeconds: 3600 });
    signer = new TokenSigner(keys);
    refreshTokens = new RefreshTokenStore(new Clock());
    service = new UserInfoService(pool, keys, refreshTokens, runtime);
  });

  it('refuses what InitiateAuth issues (no openid scope), as Cognito does', async () => {
    expect(await failure(await accessToken('aws.cognito.signin.user.admin'))).toEqual({
      code: 'invalid_token',
      status: 401,
      description: 'Access token does not contain openid scope',
    });
  });

  it('answers the user of an access token with the openid scope', async () => {
    const token = await accessToken('openid email');
    expect(await service.userInfo(`Bearer ${token}`)).toEqual({
      sub: expect.any(String),
      email_verified: 'true',
      email: 'alice@example.com',
      username: 'alice',
    });
  });

  it('refuses revoked sign-ins, ID tokens and malformed headers', async () => {
    const originJti = 'c0ffee00-0000-4000-8000-000000000001';
    const grant = { clientId: 'web', username: 'alice', originJti, expiresAt: 2e9 };
    refreshTokens.revoke(grant, 3600);
    expect(await failure(await accessToken('openid', originJti))).toMatchObject({
      code: 'invalid_token',
      description: expect.stringMatching(/^Access token is expired, disabled, or deleted/),
    });
    const idToken = await signer.sign({ sub: 'x', iss: issuer, token_use: 'id' }, 'id');
    expect((await failure(idToken)).code).toBe('invalid_token');
    const noBearer = await service.userInfo('Basic abc').catch((e: unknown) => e);
    expect(noBearer).toMatchObject({ code: 'invalid_request', status: 400 });
  });
});
