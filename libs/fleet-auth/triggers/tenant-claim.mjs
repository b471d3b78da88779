// The demo pool's pre token generation trigger (LambdaVersion V3_0). One module, two hosts:
// the emulator imports it and calls `handler` in-process; infra/ deploys it as the pool's
// Lambda function. Its contract is the Lambda one: `handler(event)` returns the event (or a
// promise of it) with `response.claimsAndScopeOverrideDetails` filled in; throwing refuses
// the token.

/** What a tenant id may look like: the claim ends up in every token of the tenant's calls. */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Adds a `tenant_id` claim to a client-credentials access token when the client sent one
 * as client metadata (`aws_client_metadata` at the token endpoint, `ClientMetadata` in
 * GetClientToken). Tokens without it, and every other kind of token, stay as they are.
 *
 * @param {{ triggerSource: string, request: { clientMetadata?: Record<string, string> },
 *   response: { claimsAndScopeOverrideDetails: unknown } }} event the V3 event
 * @returns {Promise<typeof event>}
 */
export async function handler(event) {
  if (event.triggerSource !== 'TokenGeneration_ClientCredentials') return event;
  const tenant = event.request.clientMetadata?.tenant_id;
  if (tenant === undefined) return event;
  if (!TENANT_ID.test(tenant)) {
    throw new Error('tenant_id must be 1-63 letters, digits, ".", "_" or "-"');
  }
  event.response.claimsAndScopeOverrideDetails = {
    accessTokenGeneration: { claimsToAddOrOverride: { tenant_id: tenant } },
  };
  return event;
}
