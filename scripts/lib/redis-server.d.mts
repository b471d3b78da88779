// Types for redis-server.mjs, so the TypeScript e2e (test/) can reuse it.
export function redisServerArgs(options: {
  port: number;
  dir: string;
  password?: string;
}): string[];
export function redisAnswers(port: number, timeoutMs?: number): Promise<boolean>;
export function untilRedisAnswers(
  port: number,
  alive: () => boolean,
  timeoutMs?: number,
): Promise<boolean>;
