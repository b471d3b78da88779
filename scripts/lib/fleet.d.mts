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
