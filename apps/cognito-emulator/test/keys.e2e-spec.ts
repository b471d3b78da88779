import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { startEmulator, type StartedEmulator } from '../src/bootstrap.js';
import { basic, CALLER, decode, DEMO_POOL, tempDir } from './helpers.js';

const ISSUER_BASE = 'http://cognito.test:4000';
const ISSUER = `${ISSUER_BASE}/us-east-1_Weather01`;

async function token(emu: StartedEmulator): Promise<string> {
  const res = await request(emu.url)
    .post('/oauth2/token')
    .type('form')
    .set('Authorization', basic(CALLER.id, CALLER.secret))
    .send({ grant_type: 'client_credentials' })
    .expect(200);
  return res.body.access_token as string;
}

async function kids(emu: StartedEmulator): Promise<string[]> {
  const res = await request(emu.url).get('/us-east-1_Weather01/.well-known/jwks.json').expect(200);
  return (res.body.keys as { kid: string }[]).map((k) => k.kid);
}

function verify(emu: StartedEmulator, jwt: string) {
  const jwks = createRemoteJWKSet(new URL(`${emu.url}/us-east-1_Weather01/.well-known/jwks.json`));
  return jwtVerify(jwt, jwks, { issuer: ISSUER, algorithms: ['RS256'] });
}

describe('signing keys across restarts and rotation', () => {
  it('reloads keys from COGNITO_EMULATOR_KEYS_FILE and rotates only when admin is on', async () => {
    const keysFile = join(await tempDir(), 'keys.json');
    const env = {
      PORT: '0',
      COGNITO_EMULATOR_POOL_FILE: DEMO_POOL,
      COGNITO_EMULATOR_KEYS_FILE: keysFile,
      COGNITO_EMULATOR_ISSUER_BASE: ISSUER_BASE,
      COGNITO_EMULATOR_ADMIN: 'true',
    };

    const first = await startEmulator(env);
    const oldToken = await token(first);
    const [oldKid, oldIdKid] = await kids(first);
    expect(decode(oldToken).header.kid).toBe(oldKid);
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
    await first.close();

    // A restart: the same key, so tokens issued before stay valid.
    const second = await startEmulator(env);
    try {
      expect(await kids(second)).toEqual([oldKid, oldIdKid]);
      await verify(second, oldToken);

      const rotated = await request(second.url).post('/_emulator/rotate-keys').expect(200);
      const newKid = rotated.body.kid as string;
      const newIdKid = rotated.body.idTokenKid as string;
      expect(newKid).not.toBe(oldKid);
      expect(rotated.body.retired).toEqual([
        { kid: oldKid, retireAt: expect.any(Number) },
        { kid: oldIdKid, retireAt: expect.any(Number) },
      ]);
      expect(rotated.body.retired[0].retireAt - Math.floor(Date.now() / 1000)).toBeGreaterThan(
        3590,
      );
      // New keys first; the old ones still published for their tokens' lifetime.
      expect(await kids(second)).toEqual([newKid, newIdKid, oldKid, oldIdKid]);
      const newToken = await token(second);
      expect(decode(newToken).header.kid).toBe(newKid);
      await verify(second, newToken);
      await verify(second, oldToken);
      const get = await request(second.url).get('/_emulator/rotate-keys').expect(405);
      expect(get.headers['allow']).toBe('POST');
    } finally {
      await second.close();
    }

    // The rotation was persisted.
    const third = await startEmulator({ ...env, COGNITO_EMULATOR_ADMIN: 'false' });
    try {
      const [current, , previous] = await kids(third);
      expect(previous).toBe(oldKid);
      expect(decode(await token(third)).header.kid).toBe(current);
      await request(third.url).post('/_emulator/rotate-keys').expect(404);
    } finally {
      await third.close();
    }
  });

  it('without a keys file, each start has a fresh key', async () => {
    const a = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: DEMO_POOL });
    const b = await startEmulator({ PORT: '0', COGNITO_EMULATOR_POOL_FILE: DEMO_POOL });
    try {
      expect(await kids(a)).not.toEqual(await kids(b));
      await expect(verify(b, await token(a))).rejects.toMatchObject({
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
