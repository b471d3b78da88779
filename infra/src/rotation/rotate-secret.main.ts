// npm run rotate-secret -- --client-id <id> --user-pool-id <pool> (--secret-file <path> | --secret-id <arn>)
//   (--token-url <url> | --api) [--endpoint <url>] [--region <region>] [--no-grace]
// One rotation of an app client's secret by hand: the rotation function's four steps, run here
// with the AWS SDK's default credentials, against real Cognito or the emulator (--endpoint).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CognitoApiClientSecrets, SecretsManagerPublication } from './aws-backends.js';
import {
  ClientSecretRotation,
  RotationError,
  type RotationEvent,
  type SecretPublication,
} from './client-secret-rotation.js';
import { rotationClients, secretCheck } from './rotation-function.js';
import { SecretFilePublication } from './secret-file.publication.js';

const USAGE = `usage: npm run rotate-secret -- --client-id <id> --user-pool-id <pool id>
         (--secret-file <path> | --secret-id <secret ARN>) (--token-url <url> | --api)
         [--endpoint <Cognito endpoint URL>] [--region <region>] [--no-grace]`;

/** A command line the command cannot run; printed with the usage. */
class UsageError extends Error {}

const CLIENT_ID = /^[\w.+-]{1,128}$/;
const USER_POOL_ID = /^[\w-]+_[0-9A-Za-z]+$/;

/** What the command prints for each thing done: ids, never a secret. */
function say(e: RotationEvent): string {
  switch (e.event) {
    case 'already_created':
      return 'this rotation already added its secret';
    case 'retired':
      return e.step === 'endGrace'
        ? `deleted the replaced secret ${e.clientSecretId} in Cognito`
        : `deleted secret ${e.clientSecretId} in Cognito (the one callers used before the last rotation, or one never published)`;
    case 'added':
      return `added secret ${e.clientSecretId} in Cognito`;
    case 'in_cognito':
      return `secret ${e.clientSecretId} is active in Cognito`;
    case 'token_issued':
      return `secret ${e.clientSecretId} gets a token`;
    case 'published':
      return `published secret ${e.clientSecretId}`;
  }
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        'client-id': { type: 'string' },
        'user-pool-id': { type: 'string' },
        'secret-file': { type: 'string' },
        'secret-id': { type: 'string' },
        'token-url': { type: 'string' },
        api: { type: 'boolean', default: false },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        'no-grace': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  const clientId = v['client-id'];
  const userPoolId = v['user-pool-id'];
  if (!clientId || !CLIENT_ID.test(clientId)) throw new UsageError('--client-id: an app client id');
  if (!userPoolId || !USER_POOL_ID.test(userPoolId)) {
    throw new UsageError('--user-pool-id: a user pool id, <region>_<letters and digits>');
  }
  if ((v['secret-file'] === undefined) === (v['secret-id'] === undefined)) {
    throw new UsageError(
      'give one of --secret-file and --secret-id: where callers read the new secret (it is never printed)',
    );
  }
  if ((v['token-url'] === undefined) === !v.api) {
    throw new UsageError('give one of --token-url and --api: how the new secret is tested');
  }
  for (const name of ['token-url', 'endpoint'] as const) {
    const url = v[name];
    if (url !== undefined && (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))) {
      throw new UsageError(`--${name}: an http(s) URL`);
    }
  }
  // A user pool id starts with its region.
  const region = v.region ?? userPoolId.slice(0, userPoolId.indexOf('_'));
  const clients = rotationClients(region, v.endpoint);

  let publication: SecretPublication;
  let where: string;
  if (v['secret-file'] !== undefined) {
    // npm runs scripts in the repository root; the path is the user's, from where npm was run.
    where = resolve(process.env.INIT_CWD ?? process.cwd(), v['secret-file']);
    publication = new SecretFilePublication(where, clientId);
  } else {
    where = v['secret-id']!;
    const sm = new SecretsManagerPublication(clients.secretsManager, where, randomUUID(), clientId);
    if (await sm.rotationInProgress()) {
      throw new RotationError(
        'rotation_not_pending',
        `secret ${where} has a rotation under way (AWSPENDING on a version that is not AWSCURRENT): let it end, or cancel it (aws secretsmanager cancel-rotate-secret)`,
      );
    }
    publication = sm;
  }
  const rotation = new ClientSecretRotation({
    clientId,
    publication,
    cognito: new CognitoApiClientSecrets(clients.cognito, userPoolId, clientId),
    check: secretCheck(
      v.api ? { kind: 'api' } : { kind: 'token-endpoint', tokenUrl: v['token-url']! },
      clients.cognito,
    ),
    onEvent: (e) => console.log(`rotate-secret: ${clientId}: ${say(e)}`),
  });
  await rotation.rotate();
  if (v['no-grace']) await rotation.endGrace();
  console.log(
    `rotate-secret: ${clientId}: callers read the new secret from ${where}; ${
      v['no-grace']
        ? 'the replaced one no longer works'
        : 'the replaced one works until the next rotation'
    }`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`rotate-secret: ${error.message}\n${USAGE}`);
  } else if (error instanceof RotationError) {
    console.error(`rotate-secret: ${error.message} (${error.code})`);
  } else {
    // The SDK's errors name the operation's exception (NotAuthorizedException, ...); no secret.
    const e = error as Error;
    console.error(`rotate-secret: ${e.name}: ${e.message}`);
  }
  process.exitCode = 1;
});
