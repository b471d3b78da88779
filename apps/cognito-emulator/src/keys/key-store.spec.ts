import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, KeysFileError } from './key-store.js';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'emu-keys-')), 'keys.json');
}

describe('KeyStore', () => {
  it('publishes only public RSA-2048 members, with kid, alg and use', async () => {
    const keys = await KeyStore.open({ retentionSeconds: 3600 });
    const [jwk] = keys.jwks().keys;
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(Buffer.from(jwk.n!, 'base64url').length).toBe(256);
    expect(jwk.kid).toBe(keys.signing.kid);
  });

  it('keeps a rotated-out key published until the retention has passed, then drops it', async () => {
    let now = 1_000_000;
    const keys = await KeyStore.open({ retentionSeconds: 3600, now: () => now });
    const first = keys.signing.kid;
    const { kid, retired } = await keys.rotate();
    expect(keys.signing.kid).toBe(kid);
    expect(retired).toEqual([{ kid: first, retireAt: 1_003_600 }]);
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([kid, first]);
    now = 1_003_599;
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([kid, first]);
    now = 1_003_600;
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([kid]);
  });

  it('a second rotation does not extend an older key beyond its first retirement', async () => {
    let now = 1_000_000;
    const keys = await KeyStore.open({ retentionSeconds: 600, now: () => now });
    const a = keys.signing.kid;
    await keys.rotate();
    now += 300;
    const { retired } = await keys.rotate();
    expect(retired.find((r) => r.kid === a)?.retireAt).toBe(1_000_600);
    expect(keys.jwks().keys).toHaveLength(3);
  });

  it('saves keys with mode 0600 and loads the same keys back, rotation state included', async () => {
    const file = await tempFile();
    let now = 2_000_000;
    const a = await KeyStore.open({ file, retentionSeconds: 3600, now: () => now });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const before = a.signing.kid;
    await a.rotate();
    const b = await KeyStore.open({ file, retentionSeconds: 3600, now: () => now });
    expect(b.signing.kid).toBe(a.signing.kid);
    expect(b.jwks()).toEqual(a.jwks());
    now += 3600;
    const c = await KeyStore.open({ file, retentionSeconds: 3600, now: () => now });
    expect(c.jwks().keys.map((k) => k.kid)).toEqual([a.signing.kid]);
    expect(JSON.stringify(JSON.parse(await readFile(file, 'utf8')))).not.toContain(before);
  });

  it('refuses a corrupt keys file instead of overwriting it', async () => {
    const file = await tempFile();
    await writeFile(file, '{"keys":[{"createdAt":1,"jwk":{"kty":"RSA","n":"x","e":"AQAB"}}]}');
    await expect(KeyStore.open({ file, retentionSeconds: 300 })).rejects.toBeInstanceOf(
      KeysFileError,
    );
    await writeFile(file, 'nope');
    await expect(KeyStore.open({ file, retentionSeconds: 300 })).rejects.toThrow(
      /COGNITO_EMULATOR_KEYS_FILE: .* is not valid JSON/,
    );
    expect(await readFile(file, 'utf8')).toBe('nope');
  });
});
