// `nest g app <name>` in this monorepo: Nest's own sub-app schematic, then what this
// repository needs of what it generates (nest-cli.json names this collection):
//   - tsconfig.json stays as it was: the stock schematic turns it into a solution file
//     referencing apps/<package name>/tsconfig.app.json, which does not exist here, and
//     drops its include/exclude; here one config covers every app and vitest, ESLint and
//     `npm run typecheck` read it;
//   - no test/jest-e2e.json: vitest runs every app's specs (vitest.config.ts);
//   - main.ts listens on PORT (the stock one reads `process.env.port`), and the project's
//     entryFile is where this repository's builds put it (dist/apps/<name>/apps/<name>/src);
//   - what it wrote or rewrote is formatted with the repository's Prettier settings.
// `npm run new:service` is the command for a protected service of the fleet.
const { chain, externalSchematic } = require('@angular-devkit/schematics');

/** @param {Record<string, unknown>} options */
exports.subApp = (options) => (tree) => {
  const tsconfig = tree.read('tsconfig.json');
  const projectsBefore = new Set(Object.keys(readJson(tree, 'nest-cli.json').projects ?? {}));
  return chain([
    externalSchematic('@nestjs/schematics', 'sub-app', options),
    (next) => {
      if (tsconfig) next.overwrite('tsconfig.json', tsconfig);
      const cli = readJson(next, 'nest-cli.json');
      const projects = cli.projects ?? {};
      const added = Object.keys(projects).filter((name) => !projectsBefore.has(name));
      const roots = added.map((name) => projects[name].root);
      // Built under dist/apps/<name>/apps/<name>/src like every app here (rootDir ../..).
      for (const name of added) projects[name].entryFile = `${projects[name].root}/src/main`;
      next.overwrite('nest-cli.json', JSON.stringify(cli, null, 2));
      for (const root of roots) {
        if (next.exists(`${root}/test/jest-e2e.json`)) next.delete(`${root}/test/jest-e2e.json`);
        const main = `${root}/src/main.ts`;
        if (next.exists(main)) {
          next.overwrite(
            main,
            next
              .read(main)
              .toString()
              .replace('process.env.port ?? 3000', 'process.env.PORT ?? 3000'),
          );
        }
      }
      return format(next, roots);
    },
  ]);
};

function readJson(tree, path) {
  const buffer = tree.read(path);
  return buffer ? JSON.parse(buffer.toString()) : {};
}

/** Prettier over the new apps' files, nest-cli.json and package.json. */
async function format(tree, roots) {
  const prettier = await import('prettier');
  const paths = ['nest-cli.json', 'package.json'];
  for (const root of roots) tree.getDir(root).visit((path) => paths.push(path.slice(1)));
  for (const path of paths) {
    if (!tree.exists(path)) continue;
    const info = await prettier.getFileInfo(path, { ignorePath: '.prettierignore' });
    if (info.ignored || !info.inferredParser) continue;
    const config = (await prettier.resolveConfig(path)) ?? {};
    tree.overwrite(
      path,
      await prettier.format(tree.read(path).toString(), { ...config, filepath: path }),
    );
  }
  return tree;
}
