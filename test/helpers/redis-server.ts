// The tests' real redis-server is the tests' and benches' one: scripts/lib/redis-server.mjs.
export { RedisServer, type RedisServerOptions } from '../../scripts/lib/redis-server.mjs';
