import { buildIfStale } from '../scripts/lib/fleet.mjs';

/**
 * The cross-service e2e runs the built entry points, so `npm test` from a fresh clone
 * builds first; when dist/ is current (CI builds before testing) this costs nothing. The
 * new-service e2e's copy (NEW_SERVICE_E2E=inner) runs only specs that need no dist/ and
 * builds its new apps itself, unless it runs the whole suite (NEW_SERVICE_E2E_FULL=1).
 */
export default function setup(): void {
  if (process.env.NEW_SERVICE_E2E === 'inner' && process.env.NEW_SERVICE_E2E_FULL !== '1') return;
  const ok = buildIfStale({ say: (m) => console.log(`[e2e setup] ${m}`) });
  if (!ok) throw new Error('npm run build failed; the cross-service e2e needs dist/');
}
