const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A user pool's `IssuerConfiguration.Type`: which host its tokens name as their issuer.
 * `ORIGINAL` (every pool's until changed) is `cognito-idp.{region}`; `UPDATED` (recommended
 * by AWS, and required for multi-Region replicas) is `issuer-cognito-idp.{primaryRegion}`.
 */
export type CognitoIssuerType = 'ORIGINAL' | 'UPDATED';

/** Both issuer types, `ORIGINAL` first. */
export const COGNITO_ISSUER_TYPES: readonly CognitoIssuerType[] = ['ORIGINAL', 'UPDATED'];

const ISSUER_HOST: Record<CognitoIssuerType, string> = {
  ORIGINAL: 'cognito-idp',
  UPDATED: 'issuer-cognito-idp',
};

/**
 * The issuer (`iss`) of a Cognito user pool's tokens under the pool's issuer type (its primary
 * Region for `UPDATED`). A pool that changes its type has tokens of both forms in flight until
 * the older ones expire: a resource server trusts both (see `ResourceServerModule`).
 *
 * @example
 * ```ts
 * cognitoIssuer('eu-west-1', 'eu-west-1_AbC123'); // https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123
 * cognitoIssuer('eu-west-1', 'eu-west-1_AbC123', 'UPDATED'); // https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123
 * ```
 */
export function cognitoIssuer(
  region: string,
  userPoolId: string,
  type: CognitoIssuerType = 'ORIGINAL',
): string {
  if (!REGION.test(region)) throw new TypeError(`Invalid AWS region "${region}"`);
  if (!USER_POOL_ID.test(userPoolId)) throw new TypeError(`Invalid user pool id "${userPoolId}"`);
  if (!Object.hasOwn(ISSUER_HOST, type)) {
    throw new TypeError(`Invalid issuer type "${String(type)}" (ORIGINAL or UPDATED)`);
  }
  return `https://${ISSUER_HOST[type]}.${region}.amazonaws.com/${userPoolId}`;
}

/**
 * The token endpoint of a Cognito user pool domain. `domain` is either the
 * prefix of an Amazon Cognito domain (`my-fleet`) or a custom domain's host
 * name (`auth.example.com`).
 *
 * @example
 * ```ts
 * cognitoTokenUrl('my-fleet', 'eu-west-1'); // https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token
 * cognitoTokenUrl('auth.example.com');      // https://auth.example.com/oauth2/token
 * ```
 */
export function cognitoTokenUrl(domain: string, region?: string): string {
  if (domain.includes('.')) return `https://${domain}/oauth2/token`;
  if (!DOMAIN_PREFIX.test(domain)) throw new TypeError(`Invalid Cognito domain prefix "${domain}"`);
  if (!region || !REGION.test(region)) {
    throw new TypeError(`A Cognito domain prefix needs a valid AWS region, got "${region ?? ''}"`);
  }
  return `https://${domain}.auth.${region}.amazoncognito.com/oauth2/token`;
}

/**
 * The Cognito user pools API endpoint of a region: where `GetClientToken` is sent (AWS JSON
 * 1.1, `POST /`) by a client on the `api` transport.
 *
 * @example
 * ```ts
 * cognitoApiEndpoint('eu-west-1'); // https://cognito-idp.eu-west-1.amazonaws.com/
 * ```
 */
export function cognitoApiEndpoint(region: string): string {
  if (!REGION.test(region)) throw new TypeError(`Invalid AWS region "${region}"`);
  return `https://cognito-idp.${region}.amazonaws.com/`;
}
