// The code blocks of a README that a test compiles or runs, so the README cannot drift:
// ```ts file=src/app.module.ts blocks (the files of an example app), and the packages of its
// `npm install` lines.
import { readFileSync } from 'node:fs';

/** The ```<lang> file=<path> blocks of `markdown`, in order. */
export function fileBlocks(markdown) {
  const blocks = [];
  const fence = /^```(\w+) file=(\S+)\n([\s\S]*?)^```$/gm;
  for (const [, lang, path, code] of markdown.matchAll(fence)) blocks.push({ lang, path, code });
  return blocks;
}

/**
 * The `npm install` lines of the README's sh blocks, each with the entry points (`./client`)
 * its comment line names and the packages it installs (a local `.tgz` is not a package name).
 */
export function installGroups(markdown) {
  const groups = [];
  for (const [, block] of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    let comment = '';
    for (const line of block.split('\n').map((l) => l.trim())) {
      const match = /^npm install (.+)$/.exec(line);
      const packages = (match?.[1].split(/\s+/) ?? []).filter(
        (word) => !word.startsWith('-') && !word.endsWith('.tgz'),
      );
      if (packages.length > 0) {
        groups.push({
          entries: [...comment.matchAll(/\.\/[\w-]+/g)].map(([entry]) => entry),
          packages,
        });
      }
      comment = line.startsWith('#') ? line : '';
    }
  }
  return groups;
}

/** Every package named by an `npm install` line of the README's sh blocks. */
export function installedPackages(markdown) {
  return installGroups(markdown).flatMap((group) => group.packages);
}

/** The library's README. */
export function libraryReadme() {
  return readFileSync(new URL('../../libs/auth/README.md', import.meta.url), 'utf8');
}
