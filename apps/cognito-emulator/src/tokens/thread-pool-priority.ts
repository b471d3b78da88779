import { randomFill } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value of libuv's worker threads once lowered: well below the event loop's 0. */
export const THREAD_POOL_NICE = 10;

/** The thread name libuv gives its pool's workers (libuv >= 1.45, Node >= 20.6). */
const WORKER_NAME = 'libuv-worker';

/**
 * Lowers the scheduling priority of this process's libuv worker threads, where the RSA
 * signatures of the token endpoint run (`crypto.sign` with a callback), to nice
 * {@link THREAD_POOL_NICE}, and returns how many threads it lowered (0 where threads
 * cannot be listed, i.e. outside Linux).
 *
 * Why: under load the pool's four signing threads and the event loop compete for the same
 * cores, and the kernel shares CPU time evenly between threads. The event loop is the one
 * serial stage of every request (parse, authenticate, answer), so an even share starves it
 * and the signing threads then wait for work. Below it, they sign whenever the loop has
 * handed them work and the cores would otherwise be idle; an idle machine signs as fast as
 * before. Measured on 2 cores with the load generator beside it, as an A/B of two
 * emulators in alternating rounds: +40% tokens per second at nice 5, +57% at nice 10, and
 * less CPU per token.
 *
 * Thread priority belongs to the process, so the emulator's entry point (`main.ts`) calls
 * this, not `startEmulator` (tests run emulators inside their own processes). Raising a
 * thread's nice value needs no privilege. The pool is started first (libuv creates all its
 * threads at its first job), so every worker exists when they are listed.
 */
export async function lowerThreadPoolPriority(): Promise<number> {
  if (process.platform !== 'linux') return 0;
  await new Promise((resolve) => randomFill(new Uint8Array(1), resolve));
  let lowered = 0;
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== WORKER_NAME) continue;
      if (getPriority(tid) < THREAD_POOL_NICE) setPriority(tid, THREAD_POOL_NICE);
      lowered++;
    } catch {
      // The thread ended between listing and reading: nothing to lower.
    }
  }
  return lowered;
}
