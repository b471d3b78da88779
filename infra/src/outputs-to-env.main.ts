// npm run infra:env -- <cdk outputs file> <env file> [--service NAME]... [--stack NAME] [--definition FILE] [--force]
// Turns `cdk deploy --outputs-file` output into the services' environment (outputs-to-env.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPool } from '../../libs/fleet-auth/src/index.js';
import { envFromOutputs, stackOutputs } from './outputs-to-env.js';

const USAGE =
  'usage: npm run infra:env -- <cdk-outputs.json> <env file> [--service NAME]... [--stack NAME] [--definition FILE] [--force]';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      service: { type: 'string', multiple: true },
      definition: { type: 'string', default: 'libs/fleet-auth/pool.json' },
      force: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 2) throw new Error(USAGE);
  // npm runs scripts in the repository root; paths are the user's, from where npm was run.
  const here = (path: string) => resolve(process.env.INIT_CWD ?? process.cwd(), path);
  const [outputsFile, envFile] = positionals.map(here);
  const definition = await loadPool(here(values.definition), '--definition');
  let document: unknown;
  try {
    document = JSON.parse(await readFile(outputsFile, 'utf8'));
  } catch (cause) {
    throw new Error(`${outputsFile}: not a readable JSON file (cdk deploy --outputs-file)`, {
      cause,
    });
  }
  const env = envFromOutputs(definition, stackOutputs(document, values.stack), values.service);
  try {
    // 0600: it names the pool's clients and secrets, and may be extended with secrets by hand.
    await writeFile(envFile, env, { mode: 0o600, flag: values.force ? 'w' : 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause;
    throw new Error(`${envFile} exists (it may hold your changes): --force overwrites it`);
  }
  console.log(`wrote ${envFile}: start the services with it (NODE_ENV=production)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
