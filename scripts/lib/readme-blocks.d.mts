// Types for readme-blocks.mjs, so the TypeScript tests can use it.
export interface FileBlock {
  lang: string;
  /** Where the block goes in the example app, e.g. `src/app.module.ts`. */
  path: string;
  code: string;
}

export function fileBlocks(markdown: string): FileBlock[];
/** An `npm install` line: the entry points its comment names, the packages it installs. */
export interface InstallGroup {
  entries: string[];
  packages: string[];
}

export function installGroups(markdown: string): InstallGroup[];
export function installedPackages(markdown: string): string[];
export function libraryReadme(): string;
