import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, KeysFileError } from './key-store.js';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'emu-keys-')), 'keys.json');
}

const kids = (keys: KeyStore) => keys.jwks().keys.map((k) => k.kid);

describe('KeyStore', () => {
  it('publishes two public RSA-2048 keys, one for access and one for ID tokens', async () => {
    const keys = await KeyStore.open({ retentionSeconds: 3600 });
    const published = keys.jwks().keys;
    expect(published).toHaveLength(2);
    for (const jwk of published) {
      expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
      expect(Buffer.from(jwk.n!, 'base64url').length).toBe(256);
    }
    expect(kids(keys)).toEqual([keys.signing('access').kid, keys.signing('id').kid]);
  });

  it('rotates both keys; the old ones stay published until the retention has passed', async () => {
    let now = 1_000_000;
    const keys = await KeyStore.open({ retentionSeconds: 3600, now: () => now });
    const [oldAccess, oldId] = kids(keys);
    const { kid, idTokenKid, retired } = await keys.rotate();
    expect(keys.signing('access').kid).toBe(kid);
    expect(keys.signing('id').kid).toBe(idTokenKid);
    expect(retired).toEqual([
      { kid: oldAccess, retireAt: 1_003_600 },
      { kid: oldId, retireAt: 1_003_600 },
    ]);
    expect(kids(keys)).toEqual([kid, idTokenKid, oldAccess, oldId]);
    now = 1_003_599;
    expect(kids(keys)).toHaveLength(4);
    now = 1_003_600;
    expect(kids(keys)).toEqual([kid, idTokenKid]);
  });

  it('a second rotation does not extend an older key beyond its first retirement', async () => {
    let now = 1_000_000;
    const keys = await KeyStore.open({ retentionSeconds: 600, now: () => now });
    const first = keys.signing('access').kid;
    await keys.rotate();
    now += 300;
    const { retired } = await keys.rotate();
    expect(retired.find((r) => r.kid === first)?.retireAt).toBe(1_000_600);
    expect(keys.jwks().keys).toHaveLength(6);
  });

  it('saves keys with mode 0600 and loads the same keys back, rotation state included', async () => {
    const file = await tempFile();
    let now = 2_000_000;
    const a = await KeyStore.open({ file, retentionSeconds: 3600, now: () => now });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const before = a.signing('access').kid;
    await a.rotate();
    const b = await KeyStore.open({ file, retentionSeconds: 3600, now: () => now });
    expect(b.signing('access').kid).toBe(a.signing('access').kid);
    expect(b.signing('id').kid).toBe(a.signing('id').kid);
    expect(b.jwks()).toEqual(a.jwks());
    now += 3600;
    const c = await KeyStore.open({ file, retentionSeconds: 3600, now: () => now });
    expect(kids(c)).toEqual([a.signing('access').kid, a.signing('id').kid]);
    expect(JSON.stringify(JSON.parse(await readFile(file, 'utf8')))).not.toContain(before);
  });

  it('keeps the key of a keys file from before ID tokens had their own, adding one', async () => {
    const current = await tempFile();
    const one = await KeyStore.open({ file: current, retentionSeconds: 3600 });
    const doc = JSON.parse(await readFile(current, 'utf8')) as { keys: { tokenUse?: string }[] };
    const access = doc.keys.find((k) => k.tokenUse === 'access')!;
    delete access.tokenUse;
    const old = await tempFile();
    await writeFile(old, JSON.stringify({ keys: [access] }));
    const upgraded = await KeyStore.open({ file: old, retentionSeconds: 3600 });
    expect(upgraded.signing('access').kid).toBe(one.signing('access').kid);
    expect(upgraded.signing('id').kid).not.toBe(one.signing('access').kid);
    expect(kids(await KeyStore.open({ file: old, retentionSeconds: 3600 }))).toEqual(
      kids(upgraded),
    );
  });

  it('refuses a corrupt keys file instead of overwriting it', async () => {
    const file = await tempFile();
    await writeFile(file, '{"keys":[{"createdAt":1,"jwk":{"kty":"RSA","n":"x","e":"AQAB"}}]}');
    await expect(KeyStore.open({ file, retentionSeconds: 300 })).rejects.toBeInstanceOf(
      KeysFileError,
    );
    await expect(KeyStore.open({ file, retentionSeconds: 300 })).rejects.toMatchObject({
      code: 'invalid_keys_file',
    });
    await writeFile(file, 'nope');
    await expect(KeyStore.open({ file, retentionSeconds: 300 })).rejects.toThrow(
      /COGNITO_EMULATOR_KEYS_FILE: .* is not valid JSON/,
    );
    expect(await readFile(file, 'utf8')).toBe('nope');
  });

  it('refuses a keys file holding an RSA key under 2048 bits (it could only fail per token)', async () => {
    const file = await tempFile();
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    await writeFile(
      file,
      JSON.stringify({ keys: [{ createdAt: 1, jwk: weak.export({ format: 'jwk' }) }] }),
    );
    await expect(KeyStore.open({ file, retentionSeconds: 300 })).rejects.toThrow(
      /not an RSA private key of at least 2048 bits/,
    );
  });
});
