import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the nearest folder above this module with `package-lock.json`, from
 * `infra/src` (tests) and from `dist/infra/infra/src` (cdk synth) alike.
 */
export const REPOSITORY_ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package-lock.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('infra/: no package-lock.json above this module');
    dir = up;
  }
  return dir;
})();

/** What {@link bundledFunction} takes. */
export interface BundledFunctionProps {
  /** The module whose `handler` export Lambda calls (TypeScript or JavaScript). */
  entry: string;
  description: string;
  environment?: Record<string, string>;
  timeout: Duration;
  removalPolicy: RemovalPolicy;
}

/**
 * A Node.js 24 Lambda function built from one module of this repository by esbuild, locally
 * and offline at synth time (never in Docker): the module and everything it imports in one
 * file, the AWS SDK included, so the function runs the SDK version this repository tests
 * rather than the one the Lambda runtime happens to carry. Its logs go to a log group of its
 * own, kept a year; its role may write there and do nothing else until granted more
(`fn.role`): no `AWSLambdaBasicExecutionRole` and its `logs:*` on every log group.
 *
 * @example
 * ```ts
 * const fn = bundledFunction(this, 'Trigger', { entry, description, timeout: Duration.seconds(5), removalPolicy });
 * ```
 */
export function bundledFunction(
  scope: Construct,
  id: string,
  props: BundledFunctionProps,
): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: RetentionDays.ONE_YEAR,
    removalPolicy: props.removalPolicy,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
  });
  logGroup.grantWrite(role);
  return new NodejsFunction(scope, id, {
    entry: props.entry,
    handler: 'handler',
    description: props.description,
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: 256,
    timeout: props.timeout,
    environment: props.environment,
    role,
    logGroup,
    projectRoot: REPOSITORY_ROOT,
    depsLockFilePath: join(REPOSITORY_ROOT, 'package-lock.json'),
    bundling: {
      format: OutputFormat.CJS,
      target: 'node24',
      minify: true,
      sourceMap: false,
      bundleAwsSDK: true,
      externalModules: [],
      forceDockerBundling: false,
    },
  });
}
