// Packages of this repository as another repository gets them: `npm pack` (each package's
// prepack builds it), then an install into a folder outside the repository, from the npm
// registry through npm's one cache (`--prefer-offline`: what an earlier run fetched is not
// fetched again).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What `npm pack --json` says of the tarball it made. */
export interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
}

/** Runs a command to completion; its standard output, or a throw with its output. */
export function sh(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  return execFileSync(command, args, {
    cwd,
    env: env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Packs the package in `packageDir` (its prepack builds it) into `destination`. */
export function pack(packageDir: string, destination: string): Packed {
  const output = sh('npm', ['pack', '--json', '--pack-destination', destination], packageDir);
  // prepack's own output comes first; npm's JSON report is the last thing printed.
  const packed = (JSON.parse(output.slice(output.lastIndexOf('\n[') + 1)) as Packed[])[0];
  console.log(
    `[package] ${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ` +
      `${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.entryCount} files`,
  );
  return packed;
}

/**
 * `npm install` in `dir` (its package.json; `args`: packages to add, or flags), preferring
 * npm's cache; resolves to what npm warned of (installs of several folders run side by side).
 */
export async function npmInstall(dir: string, args: string[] = []): Promise<string> {
  const { stderr } = await promisify(execFile)(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', ...args],
    { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return stderr;
}

/** Bytes of the files under `dir`. */
export function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** The packages installed under `dir`/node_modules (nested ones included), by name. */
export function installedNames(dir: string): Set<string> {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, unknown>;
  };
  return new Set(
    Object.keys(lock.packages)
      .filter((path) => path.includes('node_modules/'))
      .map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)),
  );
}

/** Step timings, printed on one line: how long each pack, install and run took. */
export class StepTimer {
  private readonly steps: [string, number][] = [];

  time<T>(step: string, run: () => T): T {
    const started = Date.now();
    const done = () => this.steps.push([step, Date.now() - started]);
    const result = run();
    if (result instanceof Promise) return result.finally(done) as T;
    done();
    return result;
  }

  summary(): string {
    return this.steps.map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`).join(', ');
  }
}
