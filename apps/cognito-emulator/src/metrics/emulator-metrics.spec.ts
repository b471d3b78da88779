import { parsePool } from '@app/fleet-auth';
import { Registry } from 'prom-client';
import { PoolStore } from '../pool/pool-store.js';
import { EmulatorMetrics } from './emulator-metrics.js';

describe('EmulatorMetrics', () => {
  it('labels known clients, and stays bounded when the control plane churns through clients', async () => {
    const pool = new PoolStore(parsePool({ userPoolId: 'eu-west-1_Test', clients: [] }));
    const registry = new Registry();
    const metrics = new EmulatorMetrics(registry, pool);
    const meta = {
      createdAt: 0,
      lastModifiedAt: 0,
      accessTokenUnit: 'hours' as const,
      allowedOAuthFlowsUserPoolClient: true,
      secrets: [{ id: 'client--0', createdAt: 0 }],
      describedSecretId: null,
    };
    const client = (clientId: string) =>
      parsePool({ userPoolId: 'eu-west-1_Test', clients: [{ clientId, clientSecret: 's' }] })
        .clients[0];
    for (let i = 0; i < 1500; i++) {
      pool.putClient(client(`client${i}`), meta);
      metrics.tokenRequest(`client${i}`, 'client_credentials', 'success');
      pool.deleteClient(`client${i}`);
    }
    metrics.tokenRequest('never-existed', 'client_credentials', 'invalid_client');
    const { values } = await registry
      .getSingleMetric('cognito_emulator_token_requests_total')!
      .get();
    const labels = new Set(values.map((v) => v.labels.client_id));
    expect(labels.size).toBe(1102);
    expect(labels).toContain('client0');
    expect(labels).toContain('other');
    expect(labels).toContain('unknown');
    const other = values.find((v) => v.labels.client_id === 'other')!;
    expect(other.value).toBe(400);
  });
});
