import { allowsClientTokenAuth, type PoolClient } from '../../libs/fleet-auth/src/index.js';

/**
 * How a machine client of the definition gets its tokens: at the token endpoint when it has
 * the `client_credentials` OAuth flow, else through `GetClientToken` (`ALLOW_CLIENT_TOKEN_AUTH`
 * its only flow); `undefined` for a client that is not a machine client. The stack tests a
 * rotated secret this way, and `npm run infra:env` configures the client library so.
 *
 * @example
 * ```ts
 * machineTransport(client); // 'token-endpoint' | 'api' | undefined
 * ```
 */
export function machineTransport(
  client: Pick<PoolClient, 'allowedOAuthFlows' | 'explicitAuthFlows' | 'clientSecret'>,
): 'token-endpoint' | 'api' | undefined {
  if (client.allowedOAuthFlows.includes('client_credentials')) return 'token-endpoint';
  if (allowsClientTokenAuth(client)) return 'api';
  return undefined;
}
