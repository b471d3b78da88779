// The emulator as its own process (dist main.js): what its entry point does to the process.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoClient, launchService, type ServiceProcess, sleep } from '../scripts/lib/fleet.mjs';
import { TEST_ENV } from './helpers/process-fleet.js';

/** Name and nice value (field 19 of /proc/<pid>/task/<tid>/stat) of each thread of `pid`. */
function threads(pid: number): { name: string; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised name; nice is field 19, the 17th after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
      nice: Number(fields[16]),
    };
  });
}

describe.runIf(process.platform === 'linux')('the emulator process', () => {
  let emulator: ServiceProcess;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'emulator-process-'));
    emulator = await launchService('cognito-emulator', {
      env: { ...TEST_ENV, COGNITO_EMULATOR_KEYS_FILE: join(dir, 'keys.json') },
      until: 'live',
    });
  });

  afterAll(async () => {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs its signing threads (libuv pool) below the event loop, and still signs', async () => {
    // The entry point lowers them right after the listening line.
    for (let i = 0; i < 50 && !emulator.output.includes('signing threads'); i++) {
      await sleep(100);
    }
    const all = threads(Number(emulator.pid));
    const workers = all.filter((t) => t.name === 'libuv-worker');
    expect(workers.length).toBeGreaterThanOrEqual(1);
    expect(workers.map((t) => t.nice)).toEqual(workers.map(() => 10));
    expect(all.filter((t) => t.name !== 'libuv-worker').map((t) => t.nice)).toEqual(
      all.filter((t) => t.name !== 'libuv-worker').map(() => 0),
    );
    expect(emulator.output).toContain(
      `${workers.length} signing threads (libuv's pool) at nice 10, below the event loop`,
    );

    const reader = demoClient('weather-caller');
    const res = await fetch(`${emulator.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${reader.id}:${reader.secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token_type: string }).token_type).toBe('Bearer');
  });
});
