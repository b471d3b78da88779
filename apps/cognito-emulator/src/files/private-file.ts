import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `text` to `file` atomically (a temporary file renamed over it), by default with
 * mode 0600: the emulator's keys, state and TLS keys are secrets, and a crash mid-write must
 * never leave half a file that the next start refuses. Certificates pass 0o644.
 */
export async function writePrivateFile(file: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
}

/** The file's text, or undefined when it does not exist (any other failure throws). */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cause;
  }
}
