import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** How Redis is deployed: one node, Redis Cluster (ElastiCache Serverless too), or Sentinel. */
export type RedisMode = 'standalone' | 'cluster' | 'sentinel';

export const REDIS_MODES: readonly RedisMode[] = ['standalone', 'cluster', 'sentinel'];

/** Where Redis is and how to reach it: what every Redis user of the library is configured with. */
export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS: one URL for a single
   * node; for `cluster`, some of its nodes (seed nodes: the rest is discovered; ElastiCache's
   * configuration or Serverless endpoint is one); for `sentinel`, the Sentinels' addresses
   * (port 26379 unless given). Several as an array or one comma-separated string. The ACL user
   * and password go in the URL (in any one of them, the same in each that has them); they
   * are never logged. Sentinels themselves are reached without credentials.
   */
  url: string | readonly string[];
  /** Default `standalone`. */
  mode?: RedisMode;
  /** With `sentinel`: the name of the master the Sentinels watch (`sentinel monitor <name> ...`). */
  sentinelMaster?: string;
  /**
   * With `rediss://`: a PEM file of the CA(s) to trust instead of Node's default trust store
   * (which already holds the public CAs, Amazon's among them: ElastiCache needs none).
   */
  caFile?: string;
  /**
   * With `rediss://`: the name the server's certificate must carry (and SNI sends) when it is
   * not the URL's host: an address reached through a tunnel, cluster nodes announced by IP.
   */
  tlsServerName?: string;
  /** The most one command may take once connected. Default 500 ms. */
  commandTimeoutMs?: number;
  /**
   * The most one connection attempt may take (then it is tried again), and the longest a
   * command waits for the first connection. Default 2,000 ms.
   */
  connectTimeoutMs?: number;
  /** While Redis is failing, how often one command tries it again. Default 1,000 ms. */
  probeIntervalMs?: number;
}

export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** {@link RedisConnectionOptions} checked and resolved: what connecting needs. */
export interface RedisTarget {
  mode: RedisMode;
  nodes: RedisNodeAddress[];
  tls: boolean;
  username?: string;
  password?: string;
  database?: number;
  sentinelMaster?: string;
  /** The CA file's PEM text. */
  ca?: string;
  servername?: string;
}

type TargetOption = 'url' | 'mode' | 'sentinelMaster' | 'caFile' | 'tlsServerName';

/** How a rule names an option in its message: `url` in code, `TOKEN_CACHE_REDIS_URL` in env. */
export type OptionNamer = (option: TargetOption) => string;

/** A key prefix of a Redis user of the library: printable ASCII without spaces, 1-64 characters. */
export const KEY_PREFIX = /^[\x21-\x7e]{1,64}$/;

/** Printable ASCII without spaces: a Sentinel master name, a TLS server name. */
const NAME = /^[\x21-\x7e]{1,255}$/;

interface ParsedUrl extends RedisNodeAddress {
  tls: boolean;
  username?: string;
  password?: string;
  database?: number;
}

/**
 * Checks `options` and resolves them into a {@link RedisTarget}, reading the CA file. Every
 * failure calls `fail` with the option at fault and a message naming it through `name`;
 * never a URL (it may hold a password) nor a file's content.
 */
export function resolveRedisTarget(
  options: Pick<RedisConnectionOptions, TargetOption>,
  name: OptionNamer,
  fail: (option: TargetOption, message: string) => never,
): RedisTarget {
  const mode = options.mode ?? 'standalone';
  if (!REDIS_MODES.includes(mode)) {
    fail('mode', `${name('mode')} must be ${REDIS_MODES.join(', ')}`);
  }
  const items = (typeof options.url === 'string' ? options.url.split(',') : [...options.url])
    .map((item) => (typeof item === 'string' ? item.trim() : ''))
    .filter((item) => item.length > 0);
  const badUrl = (why: string): never =>
    fail(
      'url',
      `${name('url')} must be redis:// or rediss:// URLs${mode === 'standalone' ? ' (one)' : ''}: ${why}`,
    );
  if (items.length === 0) badUrl('none given');
  if (mode === 'standalone' && items.length > 1) {
    fail('url', `${name('url')} holds one URL unless ${name('mode')} is cluster or sentinel`);
  }
  const urls = items.map((item) => parseUrl(item, mode === 'sentinel' ? 26379 : 6379, badUrl));
  const tls = urls[0].tls;
  if (urls.some((u) => u.tls !== tls)) badUrl('all redis:// or all rediss://');
  const withAuth = urls.filter((u) => u.username !== undefined || u.password !== undefined);
  const auth = withAuth[0] ?? {};
  if (withAuth.some((u) => u.username !== auth.username || u.password !== auth.password)) {
    badUrl('the URLs that carry a user or password carry the same');
  }
  const databases = new Set(urls.map((u) => u.database ?? 0));
  if (databases.size > 1) badUrl('one database for all');
  const database = urls[0].database;
  if (mode === 'cluster' && database) badUrl('a cluster has database 0 only');

  const sentinelMaster = options.sentinelMaster;
  if (mode === 'sentinel' && sentinelMaster === undefined) {
    fail(
      'sentinelMaster',
      `${name('sentinelMaster')} is required when ${name('mode')} is sentinel`,
    );
  }
  if (sentinelMaster !== undefined) {
    if (mode !== 'sentinel') {
      fail('sentinelMaster', `${name('sentinelMaster')} is for ${name('mode')} sentinel only`);
    }
    if (!NAME.test(sentinelMaster)) {
      fail('sentinelMaster', `${name('sentinelMaster')} must be printable, without spaces`);
    }
  }
  for (const option of ['caFile', 'tlsServerName'] as const) {
    if (options[option] !== undefined && !tls) {
      fail(option, `${name(option)} is for rediss:// (TLS) only`);
    }
  }
  const servername = options.tlsServerName;
  if (servername !== undefined && (!NAME.test(servername) || isIP(servername) !== 0)) {
    fail('tlsServerName', `${name('tlsServerName')} must be a host name`);
  }
  const ca = options.caFile === undefined ? undefined : readCa(options.caFile, name, fail);
  return {
    mode,
    nodes: urls.map(({ host, port }) => ({ host, port })),
    tls,
    ...(auth.username !== undefined && { username: auth.username }),
    ...(auth.password !== undefined && { password: auth.password }),
    ...(database !== undefined && { database }),
    ...(sentinelMaster !== undefined && { sentinelMaster }),
    ...(ca !== undefined && { ca }),
    ...(servername !== undefined && { servername }),
  };
}

function parseUrl(item: string, defaultPort: number, bad: (why: string) => never): ParsedUrl {
  let url: URL | undefined;
  try {
    url = new URL(item);
  } catch {
    // reported below, without the text (it may hold a password)
  }
  if (!url) return bad('not a URL');
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return bad('another scheme');
  if (!url.hostname) return bad('no host');
  if (url.search || url.hash) return bad('no query or fragment');
  let database: number | undefined;
  const path = url.pathname.replace(/^\//, '');
  if (path) {
    database = /^\d{1,5}$/.test(path) ? Number(path) : bad('the path is a database number');
  }
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return bad('a user or password that is not percent-encoded');
  }
  return {
    // An IPv6 literal comes bracketed.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : defaultPort,
    tls: url.protocol === 'rediss:',
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    ...(database !== undefined && { database }),
  };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readCa(
  file: string,
  name: OptionNamer,
  fail: (option: TargetOption, message: string) => never,
): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const why = typeof code === 'string' ? code : 'error';
    return fail('caFile', `${name('caFile')} cannot be read (${why})`);
  }
  const certificates = text.match(PEM_CERT) ?? [];
  if (certificates.length === 0) {
    fail('caFile', `${name('caFile')} holds no PEM certificate`);
  }
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch {
      fail('caFile', `${name('caFile')} holds a certificate that does not parse`);
    }
  }
  return certificates.join('\n');
}
