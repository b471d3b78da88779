import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Pool } from '../../libs/fleet-auth/src/index.js';
import { clientOutputKeys } from '../src/output-keys.js';

/** The stack whose deploy `fixtures/cdk-outputs.json` records. */
export const RECORDED_STACK = 'FleetAuth';

/** The services of the demo definition that the recording was made for. */
export const RECORDED_SERVICES = ['weather-api', 'caller'];

/**
 * The recorded `cdk deploy --outputs-file` document (cdk's format, illustrative values: this
 * repository has no AWS account to record from), as a deploy of `definition` would write it:
 * clients added to the definition after the recording (`npm run new:service`) get a made-up
 * client id and secret ARN of the same shape, so the recording keeps serving the tests.
 */
export async function recordedOutputs(
  definition: Pool,
): Promise<Record<string, Record<string, string>>> {
  const file = new URL('fixtures/cdk-outputs.json', import.meta.url);
  const document = JSON.parse(await readFile(file, 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const outputs = { ...document[RECORDED_STACK] };
  for (const client of definition.clients) {
    const keys = clientOutputKeys(client.clientId);
    if (outputs[keys.clientId] !== undefined) continue;
    const made = createHash('sha256').update(client.clientId).digest('hex');
    outputs[keys.clientId] = BigInt(`0x${made}`).toString(36).slice(0, 26);
    if (client.clientSecret !== null) {
      outputs[keys.secretArn] =
        `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${keys.clientId}-${made.slice(0, 6)}`;
    }
  }
  return { ...document, [RECORDED_STACK]: outputs };
}
