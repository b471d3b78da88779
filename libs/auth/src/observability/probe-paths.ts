/**
 * Whether a request path (query string allowed) is a health probe or a metrics scrape:
 * polled every few seconds, so neither logged per request nor traced, where each would
 * drown real traffic. Library-internal.
 */
export function isProbePath(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0];
  return path === '/metrics' || path === '/health' || path.startsWith('/health/');
}
