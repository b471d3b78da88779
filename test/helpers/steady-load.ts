/** A steady stream of GET requests, for watching a fleet while something changes under it. */
export interface SteadyLoad {
  /** Stops sending, waits for the requests in flight, and gives every status (0: no answer). */
  stop(): Promise<number[]>;
}

/**
 * Sends `GET {url}{path}` to each of `urls` in turn, `perSecond` requests a second in all,
 * each with a 10 s deadline, until {@link SteadyLoad.stop}.
 *
 * @example
 * ```ts
 * const load = steadyLoad(callers.map((c) => c.url), '/forecast', 50);
 * // ... rotate the secret ...
 * expect((await load.stop()).filter((s) => s !== 200)).toEqual([]);
 * ```
 */
export function steadyLoad(urls: readonly string[], path: string, perSecond: number): SteadyLoad {
  const statuses: number[] = [];
  let calling = true;
  const running = (async () => {
    const pending: Promise<void>[] = [];
    for (let i = 0; calling; i += 1) {
      pending.push(
        fetch(`${urls[i % urls.length]}${path}`, { signal: AbortSignal.timeout(10_000) }).then(
          async (res) => {
            await res.arrayBuffer();
            statuses.push(res.status);
          },
          () => void statuses.push(0),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond));
    }
    await Promise.all(pending);
  })();
  return {
    async stop() {
      calling = false;
      await running;
      return statuses;
    },
  };
}
