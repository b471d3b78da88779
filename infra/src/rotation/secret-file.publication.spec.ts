import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretFilePublication } from './secret-file.publication.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secret-file-'));
  file = join(dir, 'client-secret');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('SecretFilePublication', () => {
  it('has no current secret while the file is missing, and reads one written by hand or by a rotation', async () => {
    const publication = new SecretFilePublication(file, 'abc');
    expect(await publication.current()).toBeUndefined();
    await writeFile(file, 'by-hand-secret\n');
    expect(await publication.current()).toEqual({
      clientId: 'abc',
      clientSecret: 'by-hand-secret',
    });
    await writeFile(file, '{"clientId":"abc","clientSecret":"s","clientSecretId":"abc--1"}');
    expect(await publication.current()).toMatchObject({ clientSecretId: 'abc--1' });
  });

  it('keeps the pending secret in memory and replaces the file at once on promote (a new file, mode 0600)', async () => {
    await writeFile(file, 'old-secret\n');
    const before = await stat(file);
    const publication = new SecretFilePublication(file, 'abc');
    const next = { clientId: 'abc', clientSecret: 'new-secret', clientSecretId: 'abc--2' };
    await publication.putPending(next);
    expect(await readFile(file, 'utf8')).toBe('old-secret\n');
    expect(await publication.pending()).toEqual(next);

    await publication.promote();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(next);
    const after = await stat(file);
    // A rename: readers watching the path (the client library's file source) see another inode.
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['client-secret']);
  });

  it('refuses a file that is not a client secret, and a promote with nothing pending', async () => {
    const publication = new SecretFilePublication(file, 'abc');
    await expect(publication.promote()).rejects.toMatchObject({ code: 'rotation_not_pending' });
    await writeFile(file, 'x'.repeat(5000));
    await expect(publication.current()).rejects.toMatchObject({
      code: 'invalid_published_secret',
      message: expect.stringContaining('over 4096 bytes'),
    });
  });
});
