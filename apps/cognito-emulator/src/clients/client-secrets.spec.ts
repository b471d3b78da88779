import { parsePool } from '@app/fleet-auth';
import { PoolStore } from '../pool/pool-store.js';
import { ClientSecrets, secretHash } from './client-secrets.js';

function rotatingPool(): PoolStore {
  return new PoolStore(
    parsePool({
      userPoolId: 'eu-west-1_Test',
      resourceServers: [{ identifier: 'api', name: 'API', scopes: [{ name: 'read' }] }],
      clients: [
        {
          clientId: 'rot',
          clientSecret: ['old-secret', 'new-secret'],
          allowedOAuthFlows: ['client_credentials'],
          allowedOAuthScopes: ['api/read'],
        },
        { clientId: 'one', clientSecret: 'only-secret', explicitAuthFlows: ['ALLOW_USER_AUTH'] },
        { clientId: 'pub', clientSecret: null },
      ],
    }),
  );
}

describe('the one client secret check', () => {
  it('checks an id and secret as the API takes them (GetClientToken)', () => {
    const secrets = new ClientSecrets(rotatingPool());
    for (const secret of ['old-secret', 'new-secret']) {
      expect(secrets.check([{ id: 'rot', secret }]).authenticated?.clientId).toBe('rot');
    }
    expect(secrets.check([{ id: 'rot', secret: 'wrong' }])).toMatchObject({
      known: { clientId: 'rot' },
      presentedSecret: true,
      authenticated: undefined,
    });
    expect(secrets.check([{ id: 'rot', secret: undefined }])).toMatchObject({
      known: { clientId: 'rot' },
      presentedSecret: false,
      authenticated: undefined,
    });
    expect(secrets.check([{ id: 'nobody', secret: 'new-secret' }])).toEqual({
      known: undefined,
      presentedSecret: false,
      authenticated: undefined,
    });
    // A public client is known by its id alone, and never authenticated by a secret.
    expect(secrets.check([{ id: 'pub', secret: undefined }])).toMatchObject({
      known: { clientId: 'pub' },
      presentedSecret: false,
      authenticated: undefined,
    });
    expect(secrets.check([{ id: 'pub', secret: 'x' }])).toMatchObject({
      known: { clientId: 'pub' },
      presentedSecret: true,
      authenticated: undefined,
    });
  });

  it('refuses a deleted secret from the moment it is deleted', () => {
    const store = rotatingPool();
    const secrets = new ClientSecrets(store);
    store.deleteClientSecret('rot', store.clientMeta('rot')!.secrets[0].id);
    expect(secrets.check([{ id: 'rot', secret: 'old-secret' }]).authenticated).toBeUndefined();
    expect(secrets.check([{ id: 'rot', secret: 'new-secret' }]).authenticated?.clientId).toBe(
      'rot',
    );
  });

  it("matches a SECRET_HASH made with either active secret, for the username or the user's sub", () => {
    const store = rotatingPool();
    const secrets = new ClientSecrets(store);
    const rot = store.client('rot')!;
    for (const secret of ['old-secret', 'new-secret']) {
      expect(secrets.matchesSecretHash(rot, secretHash(secret, 'rot', 'alice'), ['alice'])).toBe(
        true,
      );
      expect(
        secrets.matchesSecretHash(rot, secretHash(secret, 'rot', 'sub-1'), ['alice', 'sub-1']),
      ).toBe(true);
    }
    expect(secrets.matchesSecretHash(rot, secretHash('old-secret', 'rot', 'bob'), ['alice'])).toBe(
      false,
    );
    expect(secrets.matchesSecretHash(rot, secretHash('wrong', 'rot', 'alice'), ['alice'])).toBe(
      false,
    );
    // With one secret, the padding compared in place of the second never matches.
    const one = store.client('one')!;
    expect(secrets.matchesSecretHash(one, secretHash('only-secret', 'one', 'a'), ['a'])).toBe(true);
    expect(secrets.matchesSecretHash(one, secretHash('x'.repeat(51), 'one', 'a'), ['a'])).toBe(
      false,
    );
    store.deleteClientSecret('rot', store.clientMeta('rot')!.secrets[0].id);
    expect(
      secrets.matchesSecretHash(store.client('rot')!, secretHash('old-secret', 'rot', 'alice'), [
        'alice',
      ]),
    ).toBe(false);
  });
});
