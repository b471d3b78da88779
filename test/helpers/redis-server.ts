// The tests' real Redis is the tests' and benches' one: scripts/lib/redis-server.mjs.
export {
  engineAvailable,
  engineVersion,
  makeTlsFiles,
  RedisCluster,
  type RedisEngine,
  RedisSentinelSet,
  RedisServer,
  type RedisServerOptions,
  type TlsFiles,
} from '../../scripts/lib/redis-server.mjs';
