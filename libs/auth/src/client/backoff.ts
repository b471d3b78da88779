/** Retry settings of the token endpoint. */
export interface RetryOptions {
  /** Requests in total, the first one included. Default 4. */
  maxAttempts: number;
  /** Cap of the first backoff window. Default 100 ms. */
  baseDelayMs: number;
  /** Largest backoff window. Default 2,000 ms. */
  maxDelayMs: number;
  /** The whole budget, requests and waits, after which the provider gives up. Default 10,000 ms. */
  maxTotalMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxTotalMs: 10_000,
};

/**
 * "Full jitter" backoff: a uniform wait in [0, min(max, base * 2^retry)).
 * `retry` counts from 0 for the wait after the first failure.
 */
export function fullJitterDelay(retry: number, options: RetryOptions, random: () => number) {
  const window = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * window);
}

/** `Retry-After` as milliseconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Waits `ms`, or less when `signal` aborts (it never rejects). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
