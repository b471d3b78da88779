/** Calls `fn` until it resolves (what it waits for has happened) or `ms` pass, then throws its error. */
export async function eventually<T>(fn: () => Promise<T>, ms = 5_000, pollMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
