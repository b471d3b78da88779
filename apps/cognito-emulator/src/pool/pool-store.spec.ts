import { parsePool, type PoolClient } from '@app/fleet-auth';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../shared/secrets.js';
import { PoolStore } from './pool-store.js';
import { StateFile, StateFileError } from './state-file.js';

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
        secrets: [{ id: 'extra--1000', createdAt: 1000 }],
        describedSecretId: 'extra--1000',
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
        secrets: [{ id: 'extra--1000', createdAt: 1000 }],
        describedSecretId: 'extra--1000',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("describes a pool file's secrets oldest first, made when the pool was loaded", () => {
    const doc = definition();
    doc.clients[0].clientSecret = ['dev-only', 'dev-next'];
    const store = new PoolStore(doc, undefined, 1000);
    expect(store.clientMeta('svc')).toMatchObject({
      secrets: [
        { id: 'svc--1000000', createdAt: 1_000_000 },
        { id: 'svc--1000001', createdAt: 1_000_001 },
      ],
      describedSecretId: 'svc--1000000',
    });
    expect(store.secretDigests('svc')).toEqual([sha256('dev-only'), sha256('dev-next')]);
    expect(store.secretDigests('nobody')).toEqual([]);
  });

  it('adds and deletes secrets, each change in the digests at once and in the overlay', () => {
    const store = new PoolStore(definition(), undefined, 1000);
    const added = store.addClientSecret('svc', 'added-secret', 2_000_000);
    expect(added).toEqual({ id: 'svc--2000000', createdAt: 2_000_000 });
    expect(store.client('svc')?.clientSecret).toEqual(['dev-only', 'added-secret']);
    expect(store.secretDigests('svc')).toEqual([sha256('dev-only'), sha256('added-secret')]);

    store.deleteClientSecret('svc', 'svc--1000000');
    expect(store.client('svc')?.clientSecret).toBe('added-secret');
    expect(store.secretDigests('svc')).toEqual([sha256('added-secret')]);
    // Cognito promotes no secret to ClientSecret when the original goes.
    expect(store.clientMeta('svc')).toMatchObject({ secrets: [added], describedSecretId: null });
    expect(store.overlay().clients).toEqual([
      { client: store.client('svc'), meta: store.clientMeta('svc') },
    ]);
  });

  it('restarts with the secrets, their ids and dates, from the state file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-store-'));
    try {
      const state = new StateFile(join(dir, 'state.json'));
      const before = new PoolStore(definition(), undefined, 1000);
      before.addClientSecret('svc', 'added-secret', 2_000_000);
      await state.save(before.overlay());
      const after = new PoolStore(definition(), await state.load('eu-west-1_Store1'), 3000);
      expect(after.client('svc')).toEqual(before.client('svc'));
      expect(after.clientMeta('svc')).toEqual(before.clientMeta('svc'));
      expect(after.secretDigests('svc')).toEqual(before.secretDigests('svc'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads a state file from before secrets had ids, and refuses one whose ids don't fit", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pool-store-'));
    try {
      const file = join(dir, 'state.json');
      const client = { ...definition().clients[0], clientId: 'old' };
      const overlay = (meta: object) => ({
        userPoolId: 'eu-west-1_Store1',
        resourceServers: [],
        clients: [{ client, meta: { createdAt: 5, lastModifiedAt: 5, ...meta } }],
        deletedResourceServers: [],
        deletedClients: [],
      });
      await writeFile(file, JSON.stringify(overlay({})));
      const store = new PoolStore(definition(), await new StateFile(file).load('eu-west-1_Store1'));
      expect(store.clientMeta('old')).toMatchObject({
        secrets: [{ id: 'old--5000', createdAt: 5000 }],
        describedSecretId: 'old--5000',
      });

      for (const meta of [
        { secrets: [] },
        {
          secrets: [
            { id: 'old--1', createdAt: 1 },
            { id: 'old--2', createdAt: 2 },
          ],
        },
        { secrets: [{ id: 'old--1', createdAt: 1 }], describedSecretId: 'old--2' },
      ]) {
        await writeFile(file, JSON.stringify(overlay(meta)));
        await expect(new StateFile(file).load('eu-west-1_Store1')).rejects.toThrow(StateFileError);
        await expect(new StateFile(file).load('eu-west-1_Store1')).rejects.toThrow(
          "clients[0].meta.secrets: meta.secrets must describe each of the client's secrets once",
        );
      }
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
