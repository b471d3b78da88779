import { buildIfStale } from '../scripts/lib/fleet.mjs';

/**
 * The cross-service e2e runs the built entry points, so `npm test` from a fresh clone
 * builds first; when dist/ is current (CI builds before testing) this costs nothing.
 */
export default function setup(): void {
  const ok = buildIfStale({ say: (m) => console.log(`[e2e setup] ${m}`) });
  if (!ok) throw new Error('npm run build failed; the cross-service e2e needs dist/');
}
