// `npm run new:service` and `nest g app` in a copy of this repository, then what CI runs,
// there, on what they wrote: every file they wrote or changed must pass format and lint, the
// whole program types, the two new apps build, and every spec that reads what they wrote
// passes (the new service's e2e included; INNER_SUITE); and the wiring a user would write for
// a protected service and for calling it stays within 10 lines per side. The files they did
// not touch are formatted, linted and built by this repository's own run.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { root } from '../scripts/lib/fleet.mjs';

const NAME = 'inventory-api';
/** What `nest g app` makes: Nest's own hello-world app. */
const PLAIN_APP = 'reports-api';
const LIBRARY = '@nest-m2m-cognito/auth';
/** Set in the copy's own `npm test`, so this test does not run itself there. */
const INNER = process.env.NEW_SERVICE_E2E === 'inner';
/**
 * What the copy's `npm test` runs: every spec that reads a file the two generators write
 * (the new apps themselves, the fleet definition `libs/fleet-auth/pool.json` through its
 * loader, the CDK stack and the drift test); the rest of the suite runs on the same files
 * in this repository's own run. `NEW_SERVICE_E2E_FULL=1` runs the whole suite in the copy
 * (about five minutes more).
 */
const INNER_SUITE =
  process.env.NEW_SERVICE_E2E_FULL === '1'
    ? []
    : [
        `apps/${NAME}/`,
        `apps/${PLAIN_APP}/`,
        'libs/fleet-auth/',
        'infra/',
        'test/fleet-auth-drift',
      ];

/** The repository as a clone has it (tracked and untracked-but-not-ignored files). */
function copyRepository(to: string): void {
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter((file) => file.length > 0);
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(root, file), join(to, file));
  }
  // The installed packages are reused, not installed again.
  symlinkSync(join(root, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** Files of the copy (outside node_modules) that are new or differ from this repository's. */
function written(dir: string): string[] {
  const changed: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) continue; // node_modules, shared with this repository
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
        continue;
      }
      const file = relative(dir, path);
      const original = join(root, file);
      if (!existsSync(original) || !readFileSync(original).equals(readFileSync(path))) {
        changed.push(file);
      }
    }
  };
  walk(dir);
  return changed;
}

function run(dir: string, command: string, args: string[]): { ms: number; output: string } {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NEW_SERVICE_E2E: 'inner', FORCE_COLOR: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${output.slice(-6000)}`,
    );
  }
  return { ms: Date.now() - started, output };
}

/**
 * The wiring a user writes with the library in `file` (within `region`, when given), as
 * statements rather than printed lines (Prettier's wrapping is not the user's writing):
 * each import from the library, and each place that uses what it imports: a decorator, an
 * entry of an array (a module's `imports`), or a statement.
 */
function wiring(file: string, region?: [begin: string, end: string]): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const [from, to] = region ? [text.indexOf(region[0]), text.indexOf(region[1])] : [0, text.length];
  expect(from).toBeGreaterThanOrEqual(0);
  /** Each name imported from the library, with its import declaration. */
  const imported = new Map<string, ts.ImportDeclaration>();
  for (const statement of source.statements) {
    if (
      ts.isImportDeclaration(statement) &&
      (statement.moduleSpecifier as ts.StringLiteral).text.startsWith(LIBRARY)
    ) {
      const bindings = statement.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) imported.set(element.name.text, statement);
      }
    }
  }
  // An import counts when the region uses one of its names.
  const units = new Set<ts.Node>();
  const visit = (node: ts.Node): void => {
    const declaration = ts.isIdentifier(node) ? imported.get(node.text) : undefined;
    if (declaration && node.pos >= from && node.end <= to && !isWithin(node, declaration)) {
      units.add(declaration);
      let unit: ts.Node | undefined;
      for (let n: ts.Node | undefined = node; n && n.pos >= from; n = n.parent) {
        if (
          ts.isDecorator(n) ||
          (n.parent !== undefined && ts.isArrayLiteralExpression(n.parent)) ||
          ts.isExpressionStatement(n) ||
          ts.isVariableStatement(n)
        ) {
          unit = n;
        }
      }
      if (unit) units.add(unit);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...units].map((unit) => unit.getText(source).replace(/\s+/g, ' ').slice(0, 100));
}

function isWithin(node: ts.Node, ancestor: ts.Node): boolean {
  for (let n: ts.Node | undefined = node; n; n = n.parent) if (n === ancestor) return true;
  return false;
}

describe.skipIf(INNER)('npm run new:service in a copy of the repository', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'new-service-e2e-'));
    copyRepository(dir);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'makes a protected service, and nest g app an app, that lint, types, format and the suite accept',
    () => {
      const steps: Record<string, number> = {};
      const generated = run(dir, process.execPath, [
        'scripts/new-service.mjs',
        NAME,
        '--scope',
        'items.read',
      ]);
      expect(generated.output).toContain(`apps/${NAME}/test/${NAME}.e2e-spec.ts`);

      const apiSide = ['src/app.module.ts', 'src/main.ts', 'src/items.controller.ts'].flatMap(
        (file) => wiring(join(dir, 'apps', NAME, file)),
      );
      const callingSide = wiring(join(dir, 'apps', NAME, 'test', `${NAME}.e2e-spec.ts`), [
        '// calling side: begin',
        '// calling side: end',
      ]);
      console.log(
        `[new:service] wiring: ${apiSide.length} statements on the API side, ` +
          `${callingSide.length} on the calling side\n  ${[...apiSide, '--', ...callingSide].join('\n  ')}`,
      );
      expect(apiSide.length).toBeLessThanOrEqual(10);
      expect(callingSide.length).toBeLessThanOrEqual(10);
      // The service is in the fleet's one list, the pool, the Nest CLI and compose.
      const fleet = JSON.parse(readFileSync(join(dir, 'scripts/lib/fleet.json'), 'utf8')) as {
        services: { app: string; port: number }[];
      };
      expect(fleet.services.map((s) => s.app)).toContain(NAME);
      // The definition (the emulator's pool and the CDK stack's input): resource server,
      // a machine client in Cognito's fields, and the service serving the resource server.
      const pool = JSON.parse(readFileSync(join(dir, 'libs/fleet-auth/pool.json'), 'utf8')) as {
        resourceServers: { identifier: string }[];
        clients: Record<string, unknown>[];
        services: Record<string, unknown>;
      };
      expect(pool.resourceServers.map((r) => r.identifier)).toContain(NAME);
      expect(pool.clients.find((c) => c.clientId === `${NAME}-client`)).toMatchObject({
        allowedOAuthFlows: ['client_credentials'],
        allowedOAuthScopes: [`${NAME}/items.read`],
        accessTokenValidity: 60,
        tokenValidityUnits: { accessToken: 'minutes' },
      });
      expect(pool.services[NAME]).toEqual({ resourceServers: [NAME] });
      expect(readFileSync(join(dir, 'nest-cli.json'), 'utf8')).toContain(`"${NAME}": {`);
      expect(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')).toContain(`  ${NAME}:\n`);

      if (spawnSync('docker-compose', ['version']).status === 0) {
        steps.compose = run(dir, 'sh', ['scripts/check-compose.sh']).ms;
      }
      const tsconfig = readFileSync(join(dir, 'tsconfig.json'), 'utf8');
      steps.nestGenerate = run(dir, 'npx', ['nest', 'g', 'app', PLAIN_APP]).ms;
      expect(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).toBe(tsconfig);
      expect(existsSync(join(dir, 'apps', PLAIN_APP, 'test', 'jest-e2e.json'))).toBe(false);

      const files = written(dir);
      expect(files).toEqual(
        expect.arrayContaining([
          'libs/fleet-auth/pool.json',
          'nest-cli.json',
          `apps/${NAME}/src/main.ts`,
          `apps/${PLAIN_APP}/src/main.ts`,
        ]),
      );
      steps.format = run(dir, 'npx', ['prettier', '--check', ...files]).ms;
      steps.lint = run(dir, 'npx', ['eslint', '--no-warn-ignored', ...files]).ms;
      steps.typecheck = run(dir, 'npm', ['run', 'typecheck']).ms;
      const build = Date.now();
      for (const app of [NAME, PLAIN_APP]) run(dir, 'npx', ['nest', 'build', app]);
      steps.build = Date.now() - build;
      expect(existsSync(join(dir, 'dist', 'apps', NAME, 'apps', NAME, 'src', 'main.js'))).toBe(
        true,
      );
      const suite = run(dir, 'npm', ['test', '--', ...INNER_SUITE]);
      steps.test = suite.ms;
      expect(suite.output).toMatch(new RegExp(`apps/${NAME}/test/${NAME}\\.e2e-spec\\.ts`));
      expect(suite.output).toMatch(new RegExp(`apps/${PLAIN_APP}/test/app\\.e2e-spec\\.ts`));
      expect(suite.output).toContain('test/fleet-auth-drift.e2e-spec.ts');
      expect(suite.output).not.toMatch(/\d+ failed/);
      console.log(
        `[new:service] in the copy: ${Object.entries(steps)
          .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`)
          .join(', ')}`,
      );
    },
    15 * 60_000,
  );
});
