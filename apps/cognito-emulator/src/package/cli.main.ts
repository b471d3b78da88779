#!/usr/bin/env node
// The package's `cognito-m2m-emulator` command.
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
if (code !== undefined) process.exitCode = code;
