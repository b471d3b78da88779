// Types for fleet.mjs, so the TypeScript e2e (test/) can reuse it.
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
  output: string;
  exited: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

export const root: string;
export const SERVICES: Service[];
export const POOL_FILE: string;
export const FLEET_NODE_OPTIONS: string;
export function entryPoint(app: string): string;
export const DEV_KEYS_FILE: string;
export const DEV_TLS_DIR: string;
export function emulatorDevFiles(env?: NodeJS.ProcessEnv): Record<string, string>;
export function tlsSwitch(env?: NodeJS.ProcessEnv): boolean;
export function localUrl(app: string, port: number, tls?: boolean): string;
export function demoClient(id: string): { id: string; secret: string };
export function demoIssuer(emulatorUrl: string): string;
export function localWiring(app: string, urls: Record<string, string>): Record<string, string>;
export function prepareTls(
  emulatorEnv?: Record<string, string>,
): Promise<{ NODE_EXTRA_CA_CERTS?: string }>;
export function tracingImport(app: string): string[];
export const INFRA_ENV_SCRIPT: string;
export function sleep(ms: number): Promise<void>;
export function probe(url: string): Promise<'ready' | 'not-ready' | 'down'>;
export function waitReady(
  url: string,
  options?: { timeoutMs?: number; pollMs?: number; alive?: () => boolean },
): Promise<boolean>;
export function buildNeeded(): 'missing' | 'stale' | undefined;
export function buildIfStale(options?: {
  say?: (message: string) => void;
  stdio?: 'inherit' | 'pipe' | 'ignore';
}): boolean;
export function freePort(): Promise<number>;
export function launch(
  args: string[],
  options?: { env?: Record<string, string>; onOutput?: (chunk: string) => void },
): Launched;
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void;
export function rssMiB(pid: number | undefined): Promise<number | undefined>;
