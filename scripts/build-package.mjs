// Builds the npm package in the working directory (`npm run build` / `npm pack` there, or
// `npm pack -w <folder>` from the root): its dist/ from nothing, and the files every package
// ships, copied from the repository: LICENSE, and for the emulator the pool file's JSON
// Schema. The library compiles alone (tsc); the emulator with Nest's compiler, which turns
// its imports of @app/fleet-auth and the library's observability into relative ones, so the
// package carries compiled copies of both and depends on nothing of this repository.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './lib/fleet.mjs';

const dir = process.cwd();
const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const node = (script, args, cwd) =>
  execFileSync(process.execPath, [join(root, 'node_modules', ...script), ...args], {
    cwd,
    stdio: 'inherit',
  });

rmSync(join(dir, 'dist'), { recursive: true, force: true });
switch (name) {
  case '@nest-m2m-cognito/auth':
    node(['typescript', 'bin', 'tsc'], ['-p', 'tsconfig.lib.json'], dir);
    break;
  case 'cognito-m2m-emulator':
    node(
      ['@nestjs', 'cli', 'bin', 'nest.js'],
      ['build', 'cognito-emulator', '-p', join(relative(root, dir), 'tsconfig.package.json')],
      root,
    );
    copyFileSync(
      join(root, 'libs', 'fleet-auth', 'pool.schema.json'),
      join(dir, 'pool.schema.json'),
    );
    break;
  default:
    throw new Error(`build-package: no build for ${name} (in ${dir})`);
}
copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
