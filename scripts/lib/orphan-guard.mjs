// Preloaded (node --import) into every service the fleet kit (fleet.mjs) starts: when the
// process that started it dies without stopping it (killed, crashed), the service is
// re-parented and stops itself, so neither npm start nor a test run leaves processes behind.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
