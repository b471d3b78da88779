import { parsePool, type PoolClient } from '@app/fleet-auth';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoolStore } from './pool-store.js';
import { StateFile } from './state-file.js';

const definition = () =>
  parsePool({
    userPoolId: 'eu-west-1_Store1',
    resourceServers: [{ identifier: 'api', name: 'API', scopes: [{ name: 'read' }] }],
    clients: [
      {
        clientId: 'svc',
        clientSecret: 'dev-only',
        allowedOAuthFlows: ['client_credentials'],
        allowedOAuthScopes: ['api/read'],
        accessTokenValidity: 10,
        idTokenValidity: 20,
        tokenValidityUnits: { accessToken: 'minutes', idToken: 'hours' },
      },
    ],
  });

describe('PoolStore', () => {
  it('keeps retired keys as long as the longest access or ID token of any client', () => {
    expect(new PoolStore(definition()).maxTokenValiditySeconds()).toBe(20 * 3600);
  });

  it('restarts with a client that its resource server, deleted, left without scopes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-store-'));
    try {
      const state = new StateFile(join(dir, 'state.json'));
      const before = new PoolStore(definition());
      const extra: PoolClient = { ...before.client('svc')!, clientId: 'extra' };
      before.putClient(extra, {
        createdAt: 1,
        lastModifiedAt: 1,
        allowedOAuthFlowsUserPoolClient: true,
      });
      before.deleteResourceServer('api');
      expect(before.client('extra')?.allowedOAuthScopes).toEqual([]);
      await state.save(before.overlay());

      const after = new PoolStore(definition(), await state.load('eu-west-1_Store1'));
      expect(after.resourceServer('api')).toBeUndefined();
      expect(after.client('svc')?.allowedOAuthScopes).toEqual([]);
      expect(after.client('extra')).toEqual(before.client('extra'));
      expect(after.clientMeta('extra')).toEqual({
        createdAt: 1,
        lastModifiedAt: 1,
        allowedOAuthFlowsUserPoolClient: true,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const bare = (userPool: object = {}) =>
  parsePool({ userPoolId: 'eu-west-1_Settings1', userPool, clients: [] });

describe('PoolStore settings', () => {
  it("starts from the definition's userPool: name, protection, issuer type, trigger", () => {
    const store = new PoolStore(
      bare({
        issuerConfiguration: { type: 'UPDATED' },
        lambdaConfig: {
          preTokenGenerationConfig: { lambdaVersion: 'V3_0', module: 'triggers/tenant-claim.mjs' },
        },
      }),
      undefined,
      42,
    );
    expect(store.settings).toEqual({
      userPoolName: 'eu-west-1_Settings1',
      deletionProtection: 'ACTIVE',
      allowAdminCreateUserOnly: true,
      issuerType: 'UPDATED',
      preTokenGeneration: {
        lambdaVersion: 'V3_0',
        lambdaArn: 'arn:aws:lambda:eu-west-1:000000000000:function:tenant-claim',
      },
      lastModifiedAt: 42,
    });
    expect(store.overlay().userPool).toBeUndefined();
  });

  it('keeps what UpdateUserPool set across a restart, and nothing when it never ran', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-settings-'));
    try {
      const state = new StateFile(join(dir, 'state.json'));
      const before = new PoolStore(bare({ userPoolName: 'fleet' }));
      const changed = {
        userPoolName: 'fleet-2',
        deletionProtection: 'INACTIVE' as const,
        allowAdminCreateUserOnly: false,
        issuerType: 'UPDATED' as const,
        lastModifiedAt: 7,
      };
      before.putSettings(changed);
      await state.save(before.overlay());
      const after = new PoolStore(
        bare({ userPoolName: 'fleet' }),
        await state.load('eu-west-1_Settings1'),
      );
      expect(after.settings).toEqual(changed);
      expect(after.userPoolName).toBe('fleet-2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
