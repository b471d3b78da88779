/** The stack's outputs that do not depend on a client. */
export const POOL_OUTPUTS = {
  tokenUrl: 'TokenUrl',
  issuer: 'Issuer',
  jwksUri: 'JwksUri',
  userPoolId: 'UserPoolId',
  domainAliasTarget: 'DomainAliasTarget',
} as const;

/**
 * The output names of one app client, from its definition id: `weather-caller` gives
 * `WeatherCallerClientId` and `WeatherCallerSecretArn` (CloudFormation output names are
 * alphanumeric). The stack writes them; `npm run infra:env` reads them.
 */
export function clientOutputKeys(clientId: string): { clientId: string; secretArn: string } {
  const pascal = clientId
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
  return { clientId: `${pascal}ClientId`, secretArn: `${pascal}SecretArn` };
}
