import { docsTokenUrl } from './openapi.js';

describe('docsTokenUrl', () => {
  it('prefers AUTH_TOKEN_URL', () => {
    expect(
      docsTokenUrl(
        { AUTH_TOKEN_URL: 'https://auth.example.com/oauth2/token', COGNITO_DOMAIN: 'x' },
        'http://127.0.0.1:4000/us-east-1_Weather01',
      ),
    ).toBe('https://auth.example.com/oauth2/token');
  });

  it("derives Cognito's token URL from COGNITO_DOMAIN (prefix + region, or a full domain)", () => {
    const issuer = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123';
    expect(docsTokenUrl({ COGNITO_DOMAIN: 'my-fleet', COGNITO_REGION: 'eu-west-1' }, issuer)).toBe(
      'https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token',
    );
    expect(docsTokenUrl({ COGNITO_DOMAIN: 'auth.example.com' }, issuer)).toBe(
      'https://auth.example.com/oauth2/token',
    );
  });

  it("derives the emulator's token URL from its issuer, and none for Cognito without a domain", () => {
    expect(docsTokenUrl({}, 'http://127.0.0.1:4000/us-east-1_Weather01')).toBe(
      'http://127.0.0.1:4000/oauth2/token',
    );
    expect(docsTokenUrl({}, 'http://emulator:4000/base/us-east-1_Weather01/')).toBe(
      'http://emulator:4000/base/oauth2/token',
    );
    expect(
      docsTokenUrl({}, 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'),
    ).toBeUndefined();
    expect(docsTokenUrl({}, undefined)).toBeUndefined();
  });

  it('names the variable when it is invalid', () => {
    expect(() => docsTokenUrl({ AUTH_TOKEN_URL: 'ftp://x' }, undefined)).toThrow(
      /AUTH_TOKEN_URL must be an http\(s\) URL/,
    );
    expect(() => docsTokenUrl({ COGNITO_DOMAIN: 'my-fleet' }, undefined)).toThrow(
      /COGNITO_DOMAIN: .*region/,
    );
  });
});
