// A Secrets Manager endpoint on loopback, as far as a rotation and its readers need one: the
// AWS JSON 1.1 protocol (`X-Amz-Target: secretsmanager.<Operation>`, `__type` errors) that the
// real SDK client speaks, for DescribeSecret, GetSecretValue, PutSecretValue,
// UpdateSecretVersionStage and RotateSecret. RotateSecret does what Secrets Manager documents:
// refuses while an earlier rotation's AWSPENDING is left, creates the new version staged
// AWSPENDING with no value yet, answers, then invokes the rotation function once per step
// (createSecret, setSecret, testSecret, finishSecret) and stops at the first that fails.
// Signatures are not checked (no AWS account here).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RotationEvent {
  SecretId: string;
  ClientRequestToken: string;
  Step: string;
}

interface Secret {
  arn: string;
  name: string;
  rotationEnabled: boolean;
  /** Version id -> its value (none while a rotation has not put it yet) and staging labels. */
  versions: Map<string, { value?: string; stages: Set<string> }>;
}

class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

/** An operation's JSON input, as the SDK sends it. */
type Input = Record<string, string | string[] | boolean | undefined>;

export class SecretsManagerServer {
  private readonly secrets = new Map<string, Secret>();
  /** Each rotation started, by its version id: resolves when it ended, to the failed step's error. */
  readonly rotations = new Map<string, Promise<Error | undefined>>();
  /** Every operation called, in order (`GetSecretValue`, ...). */
  readonly calls: string[] = [];

  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      let status = 200;
      let answer: unknown;
      try {
        if (size > MAX_BODY) throw new AwsError('InvalidRequestException', 'body too large');
        if (!target.startsWith('secretsmanager.')) {
          throw new AwsError('UnknownOperationException', target);
        }
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Input;
        answer = this.operate(target.slice('secretsmanager.'.length), input);
      } catch (error) {
        status = 400;
        answer =
          error instanceof AwsError
            ? { __type: error.type, Message: error.message }
            : { __type: 'InternalServiceError', Message: String(error) };
      }
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(answer));
    });
  });
  private port = 0;

  private constructor(private readonly rotate: (event: RotationEvent) => Promise<void>) {}

  /** Starts it on a free port; `rotationFunction` is the Lambda function RotateSecret invokes. */
  static async start(
    rotationFunction: (event: RotationEvent) => Promise<void> = () =>
      Promise.reject(new Error('no rotation function')),
  ): Promise<SecretsManagerServer> {
    const sm = new SecretsManagerServer(rotationFunction);
    await new Promise<void>((resolve) => sm.server.listen(0, '127.0.0.1', resolve));
    sm.port = (sm.server.address() as AddressInfo).port;
    return sm;
  }

  /** Its endpoint, for the SDK client's `endpoint` (or AWS_ENDPOINT_URL_SECRETS_MANAGER). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A secret with one version, AWSCURRENT (what CloudFormation creates); its ARN (`arn`, or one made up). */
  createSecret(
    name: string,
    value: string,
    arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-${randomUUID().slice(0, 6)}`,
  ): string {
    this.secrets.set(arn, {
      arn,
      name,
      rotationEnabled: false,
      versions: new Map([[randomUUID(), { value, stages: new Set(['AWSCURRENT']) }]]),
    });
    return arn;
  }

  /** The value staged `stage` of the secret `arn`, read here (not through the protocol). */
  valueAt(arn: string, stage: string): string | undefined {
    return [...this.secret(arn).versions.values()].find((v) => v.stages.has(stage))?.value;
  }

  /** Version id -> staging labels of the secret `arn`. */
  stages(arn: string): Record<string, string[]> {
    return Object.fromEntries(
      [...this.secret(arn).versions]
        .filter(([, v]) => v.stages.size > 0)
        .map(([id, v]) => [id, [...v.stages]]),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.rotations.values());
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private secret(id: unknown): Secret {
    const secret =
      this.secrets.get(String(id)) ?? [...this.secrets.values()].find((s) => s.name === id);
    if (!secret) {
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    }
    return secret;
  }

  private moveStage(secret: Secret, stage: string, to: string): void {
    for (const version of secret.versions.values()) version.stages.delete(stage);
    secret.versions.get(to)!.stages.add(stage);
  }

  private operate(operation: string, input: Input): unknown {
    this.calls.push(operation);
    const secret = this.secret(input.SecretId);
    const named = { ARN: secret.arn, Name: secret.name };
    switch (operation) {
      case 'DescribeSecret':
        return {
          ...named,
          RotationEnabled: secret.rotationEnabled,
          VersionIdsToStages: this.stages(secret.arn),
        };
      case 'GetSecretValue': {
        const stage =
          (input.VersionStage as string | undefined) ??
          (input.VersionId ? undefined : 'AWSCURRENT');
        const found = [...secret.versions].find(
          ([id, v]) =>
            (input.VersionId === undefined || id === input.VersionId) &&
            (stage === undefined || v.stages.has(stage)),
        );
        if (!found || found[1].value === undefined) {
          throw new AwsError(
            'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret value for staging label or version.",
          );
        }
        return {
          ...named,
          VersionId: found[0],
          SecretString: found[1].value,
          VersionStages: [...found[1].stages],
          CreatedDate: Date.now() / 1000,
        };
      }
      case 'PutSecretValue': {
        const token = input.ClientRequestToken as string;
        const value = input.SecretString as string;
        const existing = secret.versions.get(token);
        if (existing?.value !== undefined) {
          if (existing.value !== value) {
            throw new AwsError(
              'ResourceExistsException',
              'A version with this ClientRequestToken already exists with a different value.',
            );
          }
        } else {
          secret.versions.set(token, { value, stages: existing?.stages ?? new Set() });
        }
        for (const stage of (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT']) {
          this.moveStage(secret, stage, token);
        }
        return {
          ...named,
          VersionId: token,
          VersionStages: [...secret.versions.get(token)!.stages],
        };
      }
      case 'UpdateSecretVersionStage': {
        const stage = input.VersionStage as string;
        const holder = [...secret.versions].find(([, v]) => v.stages.has(stage))?.[0];
        if (
          holder !== undefined &&
          holder !== input.MoveToVersionId &&
          holder !== input.RemoveFromVersionId
        ) {
          throw new AwsError(
            'InvalidParameterException',
            `The staging label ${stage} is currently attached to version ${holder}, so you must explicitly reference that version in RemoveFromVersionId.`,
          );
        }
        if (input.RemoveFromVersionId !== undefined) {
          secret.versions.get(input.RemoveFromVersionId as string)?.stages.delete(stage);
        }
        if (input.MoveToVersionId !== undefined) {
          this.moveStage(secret, stage, input.MoveToVersionId as string);
          // Secrets Manager labels the version AWSCURRENT left AWSPREVIOUS.
          if (stage === 'AWSCURRENT' && holder !== undefined && holder !== input.MoveToVersionId) {
            this.moveStage(secret, 'AWSPREVIOUS', holder);
          }
        }
        return named;
      }
      case 'RotateSecret': {
        const left = [...secret.versions.values()].some(
          (v) => v.stages.has('AWSPENDING') && !v.stages.has('AWSCURRENT'),
        );
        if (left) {
          throw new AwsError(
            'InvalidRequestException',
            'A previous rotation isn’t complete. That rotation will be reattempted.',
          );
        }
        secret.rotationEnabled = true;
        const token = (input.ClientRequestToken as string | undefined) ?? randomUUID();
        secret.versions.set(token, { stages: new Set() });
        this.moveStage(secret, 'AWSPENDING', token);
        this.rotations.set(token, this.runRotation(secret.arn, token));
        return { ...named, VersionId: token };
      }
      default:
        throw new AwsError('UnknownOperationException', operation);
    }
  }

  private async runRotation(arn: string, token: string): Promise<Error | undefined> {
    await new Promise((resolve) => setImmediate(resolve));
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) {
      try {
        await this.rotate({ SecretId: arn, ClientRequestToken: token, Step });
      } catch (error) {
        return error as Error;
      }
    }
    return undefined;
  }
}
