// Preloaded (node --import) into the services the cross-service e2e starts: when the test
// process that started a service dies without stopping it (killed, crashed), the service
// is re-parented and stops itself, so no run leaves processes behind.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
