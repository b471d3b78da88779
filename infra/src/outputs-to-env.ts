import type { Pool } from '../../libs/fleet-auth/src/index.js';
import { machineTransport } from './machine-client.js';
import { clientOutputKeys, POOL_OUTPUTS } from './output-keys.js';

/** The outputs file lacks what the definition needs, or names no single stack. */
export class StackOutputsError extends Error {
  readonly code = 'invalid_stack_outputs';
  constructor(message: string) {
    super(message);
    this.name = 'StackOutputsError';
  }
}

/**
 * One stack's outputs from a `cdk deploy --outputs-file` document (`{ stack: { key: value } }`):
 * the stack named `stackName`, or the only one.
 */
export function stackOutputs(
  document: unknown,
  stackName?: string,
): { stack: string; outputs: Record<string, string> } {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new StackOutputsError(
      'not a cdk outputs file: expected { "<stack>": { "<output>": "<value>" } }',
    );
  }
  const stacks = document as Record<string, unknown>;
  const names = Object.keys(stacks);
  const name = stackName ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new StackOutputsError(
      `name the stack (--stack): the file has ${names.join(', ') || 'none'}`,
    );
  }
  const outputs = stacks[name];
  if (typeof outputs !== 'object' || outputs === null) {
    throw new StackOutputsError(
      `no stack "${name}" in the file (it has ${names.join(', ') || 'none'})`,
    );
  }
  return {
    stack: name,
    outputs: Object.fromEntries(
      Object.entries(outputs).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
  };
}

/**
 * The environment of each service in `definition.services`, from the deployed stack's
 * outputs, as `.env` text (the format of `.env.example`: `node --env-file`, docker-compose
 * `env_file`). A service serving resource servers gets `COGNITO_REGION` and
 * `COGNITO_USER_POOL_ID` (the pool's tokens under either issuer form, so a pool moving to the
 * updated issuer needs no change), `AUTH_TOKEN_URL` and `AUTH_CLIENT_IDS` (the clients allowed
 * any of their scopes); a service using clients gets `OAUTH_TOKEN_URL` (clients with
 * `client_credentials`), `COGNITO_REGION` (clients on GetClientToken) and, per variable prefix,
 * `<PREFIX>_CLIENT_ID`, `<PREFIX>_SCOPES`, `<PREFIX>_TRANSPORT=api` on GetClientToken, and
 * `<PREFIX>_CLIENT_SECRET_ARN`, the client's secret in Secrets Manager, which the client library
 * reads again after a rotation: no secret value is ever written. `services` picks some of them
 * (default: all). One file serves several services only where they agree: two services that
 * need one variable with different values (two resource servers' `AUTH_CLIENT_IDS`) are
 * refused, naming both, so that each gets a file of its own.
 *
 * @example
 * ```ts
 * const env = envFromOutputs(await loadPool(file), stackOutputs(JSON.parse(text), 'FleetAuth'));
 * const apiEnv = envFromOutputs(definition, outputs, ['weather-api']);
 * ```
 */
export function envFromOutputs(
  definition: Pool,
  { stack, outputs }: { stack: string; outputs: Readonly<Record<string, string>> },
  services: readonly string[] = Object.keys(definition.services),
): string {
  const unknown = services.filter((name) => !Object.hasOwn(definition.services, name));
  if (unknown.length > 0) {
    throw new StackOutputsError(
      `no service ${unknown.map((n) => `"${n}"`).join(', ')} in the definition (it has ${Object.keys(definition.services).join(', ') || 'none'})`,
    );
  }
  /** Each variable written so far: its value and the service it was written for. */
  const written = new Map<string, { value: string; service: string }>();
  const variable = (service: string, name: string, value: string): string => {
    const earlier = written.get(name);
    if (earlier && earlier.value !== value) {
      throw new StackOutputsError(
        `${earlier.service} and ${service} need different ${name} values: write one env file per service (--service ${earlier.service}, --service ${service})`,
      );
    }
    written.set(name, { value, service });
    return `${name}=${value}`;
  };
  const output = (key: string): string => {
    const value = outputs[key];
    if (!value) {
      throw new StackOutputsError(
        `output ${key} missing: deploy the stack from this definition (npm run infra:deploy)`,
      );
    }
    return value;
  };
  // A user pool id starts with its region: `eu-west-1_AbCdEf123`.
  const poolRegion = () => {
    const id = output(POOL_OUTPUTS.userPoolId);
    const region = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/.exec(id)?.[1];
    if (!region) {
      throw new StackOutputsError(`output ${POOL_OUTPUTS.userPoolId} is not a user pool id`);
    }
    return region;
  };
  const lines = [
    `# Written by npm run infra:env from the outputs of stack ${stack}. Each service reads only its own`,
    '# variables. No secret is in it: a client reads its secret from Secrets Manager by the ARN beside',
    '# it (and again after each rotation), so its role needs GetSecretValue on that secret',
    '# (FleetAuthStack.grantSecretsRead). Start the services with NODE_ENV=production and this file',
    '# (node --env-file, env_file).',
    `# User pool: ${output(POOL_OUTPUTS.userPoolId)}`,
  ];
  for (const service of services) {
    const uses = definition.services[service];
    const set = (name: string, value: string) => variable(service, name, value);
    lines.push('', `# --- ${service} ---`);
    if (uses.resourceServers.length > 0) {
      const scopes = new Set(
        definition.resourceServers
          .filter((rs) => uses.resourceServers.includes(rs.identifier))
          .flatMap((rs) => rs.scopes.map((s) => `${rs.identifier}/${s.name}`)),
      );
      const allowed = definition.clients
        .filter((c) => c.allowedOAuthScopes.some((s) => scopes.has(s)))
        .map((c) => output(clientOutputKeys(c.clientId).clientId));
      lines.push(
        "# The pool's tokens under either issuer form (ORIGINAL or UPDATED), each with its own key set.",
        set('COGNITO_REGION', poolRegion()),
        set('COGNITO_USER_POOL_ID', output(POOL_OUTPUTS.userPoolId)),
        '# Only for the API docs page (Authorize button).',
        set('AUTH_TOKEN_URL', output(POOL_OUTPUTS.tokenUrl)),
        set('AUTH_CLIENT_IDS', allowed.join(',')),
      );
    }
    const clients = Object.entries(uses.clients).map(([prefix, clientId]) => {
      const client = definition.clients.find((c) => c.clientId === clientId)!;
      return { prefix, client, transport: machineTransport(client) };
    });
    if (clients.some((c) => c.transport === 'token-endpoint')) {
      lines.push(set('OAUTH_TOKEN_URL', output(POOL_OUTPUTS.tokenUrl)));
    }
    if (clients.some((c) => c.transport === 'api')) {
      lines.push(
        "# GetClientToken at Cognito's API endpoint of the pool's region.",
        set('COGNITO_REGION', poolRegion()),
      );
    }
    for (const { prefix, client, transport } of clients) {
      const keys = clientOutputKeys(client.clientId);
      const arn = output(keys.secretArn);
      lines.push(
        `# ${client.clientId}`,
        set(`${prefix}_CLIENT_ID`, output(keys.clientId)),
        set(`${prefix}_SCOPES`, client.allowedOAuthScopes.join(' ')),
        ...(transport === 'api' ? [set(`${prefix}_TRANSPORT`, 'api')] : []),
        set(`${prefix}_CLIENT_SECRET_ARN`, arn),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
