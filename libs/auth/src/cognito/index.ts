// @nest-m2m-cognito/auth/cognito: Amazon Cognito's URLs, from a region, pool id or domain.
export {
  COGNITO_ISSUER_TYPES,
  cognitoApiEndpoint,
  cognitoIssuer,
  type CognitoIssuerType,
  cognitoTokenUrl,
} from './cognito-urls.js';
