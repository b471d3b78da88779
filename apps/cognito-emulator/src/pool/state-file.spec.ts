import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFile, StateFileError } from './state-file.js';

describe('StateFile', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'state-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("refuses another pool's file, or one that is not JSON, naming the variable, and leaves it", async () => {
    const file = join(dir, 'state.json');
    const other = {
      userPoolId: 'eu-west-1_Other',
      resourceServers: [],
      clients: [],
      deletedResourceServers: [],
      deletedClients: [],
    };
    await writeFile(file, JSON.stringify(other));
    const load = () => new StateFile(file).load('eu-west-1_Mine');
    await expect(load()).rejects.toBeInstanceOf(StateFileError);
    await expect(load()).rejects.toMatchObject({
      code: 'invalid_state_file',
      message: expect.stringMatching(
        /^COGNITO_EMULATOR_STATE_FILE: .* belongs to user pool eu-west-1_Other, not eu-west-1_Mine$/,
      ),
    });
    await writeFile(file, '{ not json');
    await expect(load()).rejects.toMatchObject({
      code: 'invalid_state_file',
      message: expect.stringMatching(/is not valid JSON$/),
    });
    expect(await readFile(file, 'utf8')).toBe('{ not json');
  });
});
