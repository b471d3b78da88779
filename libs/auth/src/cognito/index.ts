// @nest-m2m-cognito/auth/cognito: Amazon Cognito's URLs, from a region, pool id or domain.
export { cognitoIssuer, cognitoTokenUrl } from './cognito-urls.js';
export { cognitoApiEndpoint } from './cognito-urls.js';
