import type { z } from 'zod';

/** `clients[1].accessTokenValiditySeconds` for the path `['clients', 1, 'accessTokenValiditySeconds']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

/** One line per issue, `path: message`; a bad record key says what its schema said. */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const message =
        i.code === 'invalid_key' ? i.issues.map((k) => k.message).join(', ') : i.message;
      return `${formatPath(i.path)}: ${message}`;
    })
    .join('; ');
}
