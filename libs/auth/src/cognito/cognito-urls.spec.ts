import { cognitoApiEndpoint, cognitoIssuer, cognitoTokenUrl } from './cognito-urls.js';

describe('cognitoIssuer', () => {
  it('derives the regional issuer of a user pool', () => {
    expect(cognitoIssuer('eu-west-1', 'eu-west-1_AbC123')).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    );
  });
  it('derives either issuer type: the original and the updated (multi-Region) form', () => {
    expect(cognitoIssuer('eu-west-1', 'eu-west-1_AbC123', 'ORIGINAL')).toBe(
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    );
    expect(cognitoIssuer('eu-west-1', 'eu-west-1_AbC123', 'UPDATED')).toBe(
      'https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123',
    );
    expect(() => cognitoIssuer('eu-west-1', 'eu-west-1_AbC123', 'REGIONAL' as 'UPDATED')).toThrow(
      /issuer type "REGIONAL"/,
    );
  });
  it.each([
    ['EU-WEST-1', 'eu-west-1_AbC123'],
    ['eu-west-1', 'no-underscore'],
    ['eu-west-1', 'eu-west-1_Ab/../x'],
  ])('refuses region %s with pool %s', (region, pool) => {
    expect(() => cognitoIssuer(region, pool)).toThrow(TypeError);
  });
});

describe('cognitoTokenUrl', () => {
  it('derives the token endpoint of an Amazon Cognito domain prefix', () => {
    expect(cognitoTokenUrl('my-fleet', 'us-east-1')).toBe(
      'https://my-fleet.auth.us-east-1.amazoncognito.com/oauth2/token',
    );
  });
  it('takes a custom domain as it is', () => {
    expect(cognitoTokenUrl('auth.example.com')).toBe('https://auth.example.com/oauth2/token');
  });
  it('needs a region for a prefix', () => {
    expect(() => cognitoTokenUrl('my-fleet')).toThrow(/region/);
    expect(() => cognitoTokenUrl('-bad-', 'us-east-1')).toThrow(/prefix/);
  });
});

describe('cognitoApiEndpoint', () => {
  it('derives the regional user pools API endpoint, where GetClientToken is sent', () => {
    expect(cognitoApiEndpoint('eu-west-1')).toBe('https://cognito-idp.eu-west-1.amazonaws.com/');
  });
  it('refuses what is not a region', () => {
    expect(() => cognitoApiEndpoint('eu-west-1.evil.example')).toThrow(TypeError);
  });
});
