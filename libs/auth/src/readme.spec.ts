// libs/auth/README.md as a user reads it: every `ts file=...` block compiles, as the files of
// one app, against the library's entry points; every entry point and package it names is
// the package's. (test/package.e2e-spec.ts installs the packed library and runs them.)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import {
  fileBlocks,
  installedPackages,
  installGroups,
  libraryReadme,
} from '../../../scripts/lib/readme-blocks.mjs';

const root = join(import.meta.dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'libs/auth/package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const readme = libraryReadme();

describe('libs/auth/README.md', () => {
  it('compiles: every code block, as the files of one app, with no diagnostic', () => {
    const blocks = fileBlocks(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const dir = join(root, 'test-output', 'readme-check');
    rmSync(dir, { recursive: true, force: true });
    const files = blocks.map((block) => {
      const path = join(dir, block.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, block.code);
      return path;
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.json'),
      { noEmit: true, incremental: false, types: ['node'] },
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    const program = ts.createProgram(files, config!.options);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + ` (${d.file?.fileName})`);
    expect(diagnostics).toEqual([]);
  }, 30_000);

  it('names only entry points the package exports, and installs only its peers', () => {
    const named = new Set(readme.match(/@nest-m2m-cognito\/auth\/[\w-]+/g));
    const exported = Object.keys(manifest.exports).map(
      (path) => `${manifest.name}/${path.slice(2)}`,
    );
    for (const entry of named) expect(exported).toContain(entry);
    const installs = installedPackages(readme).filter((name) => name !== manifest.name);
    expect(installs.sort()).toEqual(
      Object.keys(manifest.peerDependencies)
        .filter((name) => name !== 'pino-pretty')
        .sort(),
    );
  });

  it('installs the required peers on the line every service runs, each optional one beside its entry point', () => {
    const groups = installGroups(readme);
    const everyService = groups.find((g) => g.packages.includes(manifest.name));
    expect(everyService?.entries).toEqual(['./observability']);
    const required = Object.keys(manifest.peerDependencies).filter(
      (name) => !manifest.peerDependenciesMeta[name]?.optional,
    );
    for (const name of required) expect(everyService?.packages).toContain(name);
    // The one optional peer there: a service on Fastify does without Express's adapter.
    expect(everyService?.packages.filter((name) => !required.includes(name))).toEqual([
      manifest.name,
      '@nestjs/platform-express',
    ]);
    for (const group of groups.filter((g) => g !== everyService)) {
      expect(group.entries).toHaveLength(1);
      expect(Object.keys(manifest.exports)).toContain(group.entries[0]);
      for (const name of group.packages)
        expect(manifest.peerDependenciesMeta[name]?.optional).toBe(true);
    }
  });
});
