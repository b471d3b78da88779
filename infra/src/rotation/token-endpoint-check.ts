import type { SecretCheck } from './client-secret-rotation.js';

/** The most of a token endpoint's answer that the check reads. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A secret check at a Cognito token endpoint (`https://<domain>/oauth2/token`): a
 * client-credentials request with the client's id and secret as HTTP Basic, as Cognito
 * documents it, which must answer 200 with an `access_token`. The request has a total deadline
 * (`timeoutMs`) and the answer a size cap; a refusal is reported by its status and OAuth
 * `error` code only.
 *
 * @example
 * ```ts
 * const check = tokenEndpointCheck('https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token');
 * await check(clientId, newSecret);
 * ```
 */
export function tokenEndpointCheck(tokenUrl: string, timeoutMs = 10_000): SecretCheck {
  return async (clientId, clientSecret) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
      redirect: 'error',
      signal,
    });
    const body = await capped(res, MAX_ANSWER_BYTES);
    let answer: Record<string, unknown> = {};
    try {
      answer = JSON.parse(body) as Record<string, unknown>;
    } catch {
      // Not JSON: reported by status below.
    }
    if (res.status === 200 && typeof answer.access_token === 'string') return;
    const code =
      typeof answer.error === 'string' && /^[a-z_]{1,40}$/.test(answer.error) ? answer.error : '';
    throw new Error(`the token endpoint answered ${res.status}${code && ` ${code}`}`);
  };
}

/** The answer's body as text, refused past `max` bytes. */
async function capped(res: Response, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength;
    // Leaving the loop cancels the stream.
    if (size > max) throw new Error(`the token endpoint's answer is over ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
