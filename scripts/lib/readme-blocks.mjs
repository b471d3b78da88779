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

/** Every package named by an `npm install` line of the README's sh blocks. */
export function installedPackages(markdown) {
  const names = [];
  for (const [, block] of markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    for (const line of block.split('\n')) {
      const match = /^npm install (.+)$/.exec(line.trim());
      if (match) names.push(...match[1].split(/\s+/).filter((word) => !word.startsWith('-')));
    }
  }
  return names;
}

/** The library's README. */
export function libraryReadme() {
  return readFileSync(new URL('../../libs/auth/README.md', import.meta.url), 'utf8');
}
