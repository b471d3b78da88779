import { type App, Duration } from 'aws-cdk-lib';
import { readFile } from 'node:fs/promises';
import type { Pool } from '../../libs/fleet-auth/src/index.js';
import { FleetAuthStack } from './fleet-auth.stack.js';

/** The stack's name when the `stackName` context is not set. */
export const DEFAULT_STACK_NAME = 'FleetAuth';

/**
 * Adds the fleet's stack to `app` as `cdk synth` does (`src/app.ts`), named by the
 * `stackName` context, its secrets rotated every `rotationDays` (context; default 30, a
 * fraction gives hours: 0.5 is every 12 hours). `definitionFile`, the file `definition` was
 * read from, places a trigger module named relative to it.
 *
 * @example
 * ```ts
 * const app = new App({ analyticsReporting: false, context: await cdkJsonContext() });
 * const template = Template.fromStack(fleetAuthStack(app, await loadPool(file), file));
 * ```
 */
export function fleetAuthStack(
  app: App,
  definition: Pool,
  definitionFile?: string,
): FleetAuthStack {
  const name = (app.node.tryGetContext('stackName') as string | undefined) ?? DEFAULT_STACK_NAME;
  const days = app.node.tryGetContext('rotationDays') as string | number | undefined;
  return new FleetAuthStack(app, name, {
    definition,
    definitionFile,
    ...(days !== undefined && { rotationInterval: Duration.hours(Number(days) * 24) }),
    description: 'Cognito user pool, domain, resource servers and app clients of the fleet',
  });
}

/**
 * `infra/cdk.json`'s context (feature flags, `definition`, `stackName`): what the CLI
 * passes to the app, for synthesising the same template without it (tests).
 */
export async function cdkJsonContext(): Promise<Record<string, unknown>> {
  const text = await readFile(new URL('../cdk.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { context: Record<string, unknown> }).context;
}
