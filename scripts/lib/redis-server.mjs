// A throwaway redis-server for the tests and benches: loopback only, on the given port,
// nothing on disk (no RDB snapshot, no AOF; its working folder is the caller's to remove).
import { createConnection } from 'node:net';

/** redis-server's arguments for such a server; `password` sets `requirepass`. */
export function redisServerArgs({ port, dir, password }) {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--loglevel',
    'warning',
  ];
  if (password) args.push('--requirepass', password);
  return args;
}

/**
 * Whether a server on `port` answers at all within `timeoutMs` (false when stopped or
 * paused). With requirepass, PING answers -NOAUTH: still an answer.
 */
export function redisAnswers(port, timeoutMs = 200) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', () => done(true));
  });
}

/**
 * Waits until the server on `port` answers (true), or until `alive()` turns false or
 * `timeoutMs` has passed (false), probing every 25 ms.
 */
export async function untilRedisAnswers(port, alive, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive()) {
    if (await redisAnswers(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}
