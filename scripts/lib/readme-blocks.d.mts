// Types for readme-blocks.mjs, so the TypeScript tests can use it.
export interface FileBlock {
  lang: string;
  /** Where the block goes in the example app, e.g. `src/app.module.ts`. */
  path: string;
  code: string;
}

export function fileBlocks(markdown: string): FileBlock[];
export function installedPackages(markdown: string): string[];
export function libraryReadme(): string;
