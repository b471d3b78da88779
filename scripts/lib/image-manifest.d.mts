// Types for image-manifest.mjs, so the TypeScript tests can use it.
export interface ImageManifest {
  name: string;
  private: true;
  type: 'module';
  /** The app's npm packages at the root package.json's ranges. */
  dependencies: Record<string, string>;
}

export function importedPackages(dir: string): Set<string>;
export function imageManifest(app: string): ImageManifest;
export function lockedClosure(manifest: ImageManifest): { paths: Set<string>; bytes: number };
