import { readFileSync } from 'node:fs';
import { startEmulator } from '../src/bootstrap.js';
import { DEMO_POOL } from './helpers.js';

// The shipped pool, whatever services `npm run new:service` added to it.
const pool = JSON.parse(readFileSync(DEMO_POOL, 'utf8')) as {
  userPoolId: string;
  clients: unknown[];
};

describe('emulator health', () => {
  it('is live and ready with its pool and keys loaded, and serves /metrics', async () => {
    const emulator = await startEmulator({ PORT: '0', LOG_LEVEL: 'warn' });
    try {
      const live = await fetch(`${emulator.url}/health/live`);
      expect(live.status).toBe(200);
      await live.arrayBuffer();
      const ready = await fetch(`${emulator.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        info: {
          issuer: {
            status: 'up',
            userPoolId: pool.userPoolId,
            clients: pool.clients.length,
            keys: 2,
          },
        },
      });
      const metrics = await fetch(`${emulator.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('cognito_emulator_jwks_requests_total');
    } finally {
      await emulator.close();
    }
  });
});
