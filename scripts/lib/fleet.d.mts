// Types for fleet.mjs, the fleet kit, so the TypeScript e2e (test/) uses it too.
import type { ChildProcess } from 'node:child_process';

export interface Service {
  name: string;
  /** Its folder under apps/ and its Nest CLI project. */
  app: string;
  port: number;
  color: string;
  /** The `name` of the service whose readiness this one's start waits for. */
  after?: string;
  /** A route of a resource server that needs a token. */
  protectedPath?: string;
}

export interface Launched {
  child: ChildProcess;
  pid: number | undefined;
  /** The last 256 KiB of its output. */
  readonly output: string;
  exited: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
  kill(): Promise<void>;
  untilOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export interface LaunchOptions {
  env?: Record<string, string | undefined>;
  onLine?: (line: string) => void;
  stdout?: boolean;
}

export type Readiness = 'ready' | 'live';

export interface ServiceProcess extends Launched {
  app: string;
  name: string;
  port: number;
  url: string;
  rssMiB(): Promise<number | undefined>;
  ready(state?: Readiness, options?: { timeoutMs?: number }): Promise<void>;
}

export interface LaunchServiceOptions extends LaunchOptions {
  name?: string;
  port?: number;
  nodeArgs?: string[];
  script?: string[];
  after?: string;
  heapCap?: boolean;
  until?: Readiness | false;
  timeoutMs?: number;
  tls?: boolean;
}

export interface DemoClient {
  id: string;
  secret: string;
  scopes: string[];
}

export interface TokenRequestSeries {
  clientId: string | undefined;
  outcome: string | undefined;
  count: number;
  line: string;
}

export const root: string;
export const SERVICES: Service[];
export const POOL_FILE: string;
export const FLEET_NODE_OPTIONS: string;
export const FLEET_GLIBC_TUNABLES: string;
export function built(app: string, ...path: string[]): string;
export function entryPoint(app: string): string;
export function tracingImport(app: string): string[];
export const INFRA_ENV_SCRIPT: string;
export const DEV_KEYS_FILE: string;
export const DEV_TLS_DIR: string;
export function sleep(ms: number): Promise<void>;

export function buildNeeded(): 'missing' | 'stale' | undefined;
export function buildIfStale(options?: {
  say?: (message: string) => void;
  stdio?: 'inherit' | 'pipe' | 'ignore';
}): boolean;

export function demoClient(id: string): DemoClient;
export function demoIssuer(emulatorUrl: string): string;
export function localWiring(app: string, urls: Record<string, string>): Record<string, string>;
export function emulatorDevFiles(env?: NodeJS.ProcessEnv): Record<string, string>;
export function tlsSwitch(env?: NodeJS.ProcessEnv): boolean;
export function localUrl(app: string, port: number, tls?: boolean): string;
export function prepareTls(
  emulatorEnv?: Record<string, string>,
): Promise<{ NODE_EXTRA_CA_CERTS?: string }>;

export function fetchToken(
  tokenUrl: string,
  client: { id: string; secret: string },
  scope?: string,
): Promise<string>;
export function tokenRequestSeries(emulatorUrl: string): Promise<TokenRequestSeries[]>;
export function tokenRequests(
  emulatorUrl: string,
  clientId: string,
  options?: { outcome?: string },
): Promise<number>;

export function freePort(): Promise<number>;
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void;
export function memoryMiB(pid: number | undefined): Promise<{ rss?: number; peak?: number }>;
export function launch(args: string[], options?: LaunchOptions): Launched;
export function probe(url: string, path?: string): Promise<'ready' | 'not-ready' | 'down'>;
export function pollUntil(
  check: () => boolean | Promise<boolean>,
  options?: { timeoutMs?: number; pollMs?: number; alive?: () => boolean },
): Promise<boolean>;
export function waitReady(
  url: string,
  options?: { path?: string; timeoutMs?: number; pollMs?: number; alive?: () => boolean },
): Promise<boolean>;
export class ServiceNotReadyError extends Error {
  readonly summary: string;
}
export function launchService(app: string, options?: LaunchServiceOptions): Promise<ServiceProcess>;
export function stopAll(
  processes: Iterable<{ stop(graceMs?: number): Promise<void> } | undefined>,
  graceMs?: number,
): Promise<void>;
