import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnRotationSchedule, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { bundledFunction, REPOSITORY_ROOT } from './bundled-function.js';
import { FleetAuthDefinitionError } from './fleet-auth-definition.error.js';
import { ROTATION_ENV, type SecretCheckSetting } from './rotation/rotation-config.js';

/** The rotation function's module (`infra/src/rotation/`), which `npm run rotate-secret` runs too. */
export const ROTATION_ENTRY = join(
  REPOSITORY_ROOT,
  'infra',
  'src',
  'rotation',
  'rotation.handler.ts',
);

/** Secrets Manager's bounds for a rotation schedule (`rate(...)`). */
const MIN_INTERVAL = Duration.hours(4);
const MAX_INTERVAL = Duration.days(1000);

/** What {@link ClientSecretRotation} rotates, and how often. */
export interface ClientSecretRotationProps {
  userPool: IUserPool;
  /** The app client's id (its `Ref`). */
  clientId: string;
  /** The client's name in the definition, for descriptions. */
  name: string;
  /** The secret callers read: `{"clientId", "clientSecret"}` JSON. */
  secret: ISecret;
  /** How the new secret is tested: at the pool's token endpoint, or through GetClientToken. */
  check: SecretCheckSetting;
  /** Between two rotations; also how long a replaced secret keeps working (4 hours to 1000 days). */
  interval: Duration;
  removalPolicy: RemovalPolicy;
}

/**
 * The Secrets Manager rotation of one app client's secret: a function bundled from
 * `infra/src/rotation/` (see its README section for the steps and the timeline), allowed to
 * list, add and delete that pool's client secrets and to read and stage versions of that one
 * secret, invocable by Secrets Manager for that secret only, and a schedule. A deploy never
 * rotates (`RotateImmediatelyOnUpdate: false`); rotations come from the schedule or from
 * `aws secretsmanager rotate-secret`.
 *
 * @example
 * ```ts
 * new ClientSecretRotation(scope, 'Rotation', { userPool, clientId: cfn.ref, name, secret, check, interval: Duration.days(30), removalPolicy });
 * ```
 */
export class ClientSecretRotation extends Construct {
  readonly function: NodejsFunction;
  readonly schedule: CfnRotationSchedule;

  constructor(scope: Construct, id: string, props: ClientSecretRotationProps) {
    super(scope, id);
    const hours = props.interval.toHours({ integral: false });
    if (
      hours < MIN_INTERVAL.toHours() ||
      hours > MAX_INTERVAL.toHours() ||
      !Number.isInteger(hours)
    ) {
      throw new FleetAuthDefinitionError(
        `rotationInterval: must be whole hours between 4 hours and 1000 days (is ${props.interval.toHumanString()})`,
      );
    }
    const environment: Record<string, string> = {
      [ROTATION_ENV.userPoolId]: props.userPool.userPoolId,
      [ROTATION_ENV.clientId]: props.clientId,
      [ROTATION_ENV.secretArn]: props.secret.secretArn,
      [ROTATION_ENV.check]: props.check.kind,
      ...(props.check.kind === 'token-endpoint' && {
        [ROTATION_ENV.tokenUrl]: props.check.tokenUrl,
      }),
    };
    this.function = bundledFunction(this, 'Function', {
      entry: ROTATION_ENTRY,
      description: `Rotates the client secret of the Cognito app client ${props.name}`,
      environment,
      // Each AWS call has a 10 s deadline; a step makes at most six.
      timeout: Duration.seconds(90),
      removalPolicy: props.removalPolicy,
    });
    const role = this.function.role!;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'cognito-idp:ListUserPoolClientSecrets',
          'cognito-idp:AddUserPoolClientSecret',
          'cognito-idp:DeleteUserPoolClientSecret',
        ],
        resources: [props.userPool.userPoolArn],
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [props.secret.secretArn],
      }),
    );
    // Secrets Manager may invoke it for this secret of this account only (no confused deputy).
    this.function.addPermission('SecretsManager', {
      principal: new ServicePrincipal('secretsmanager.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: props.secret.secretArn,
    });
    const days = props.interval.toDays({ integral: false });
    this.schedule = new CfnRotationSchedule(this, 'Schedule', {
      secretId: props.secret.secretArn,
      rotationLambdaArn: this.function.functionArn,
      rotationRules: {
        scheduleExpression: Number.isInteger(days) ? `rate(${days} days)` : `rate(${hours} hours)`,
      },
      rotateImmediatelyOnUpdate: false,
    });
    // Secrets Manager checks at creation that it may invoke the function.
    this.schedule.node.addDependency(this.function.node.findChild('SecretsManager'));
  }
}
