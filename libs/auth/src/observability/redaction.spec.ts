import { scrubSecrets } from './redaction.js';

describe('scrubSecrets', () => {
  const jwt =
    'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJjbGllbnRfaWQiOiJ3ZWF0aGVyLWNhbGxlciJ9.c2lnbmF0dXJlLWJ5dGVz';

  it('removes JWT-like values wherever they sit', () => {
    expect(scrubSecrets(`token=${jwt};`)).toBe('token=[Redacted];');
    expect(scrubSecrets(`{"t":"${jwt}"}`)).toBe('{"t":"[Redacted]"}');
  });

  it('removes Bearer and Basic credentials but keeps challenges and prose', () => {
    expect(scrubSecrets('Authorization: Bearer opaque-token-123')).toBe(
      'Authorization: Bearer [Redacted]',
    );
    const basic = Buffer.from('weather-caller:weather-caller-dev-secret').toString('base64');
    expect(scrubSecrets(`basic ${basic}`)).toBe('basic [Redacted]');
    expect(scrubSecrets('Bearer realm="weather-api", error="invalid_token"')).toBe(
      'Bearer realm="weather-api", error="invalid_token"',
    );
    expect(scrubSecrets('Basic authentication failed')).toBe('Basic authentication failed');
  });

  it('removes secret-named values in JSON and form encoding', () => {
    expect(scrubSecrets('{"a":{"client_secret":"x\\"y","password":"p"},"client_id":"c"}')).toBe(
      '{"a":{"client_secret":"[Redacted]","password":"[Redacted]"},"client_id":"c"}',
    );
    expect(scrubSecrets('grant_type=client_credentials&client_secret=abc&scope=s')).toBe(
      'grant_type=client_credentials&client_secret=[Redacted]&scope=s',
    );
  });

  it('matches markers in any case and leaves lines without any untouched', () => {
    expect(scrubSecrets('BEARER abcdefgh123')).toBe('BEARER [Redacted]');
    expect(scrubSecrets('{"Client_Secret":"x","PASSWORD":"y"}')).toBe(
      '{"Client_Secret":"[Redacted]","PASSWORD":"[Redacted]"}',
    );
    const basic = Buffer.from('a:b-secret').toString('base64');
    expect(scrubSecrets(`BASIC\t${basic}`)).toBe('BASIC [Redacted]');
    expect(scrubSecrets('REFRESH_TOKEN=abc&x=1')).toBe('REFRESH_TOKEN=[Redacted]&x=1');
    const plain =
      '{"msg":"request completed","req":{"url":"/oauth2/token"},"res":{"statusCode":200}}';
    expect(scrubSecrets(plain)).toBe(plain);
  });
});
