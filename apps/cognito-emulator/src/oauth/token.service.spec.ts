import { OAuthError } from './oauth.error.js';
import { parseClientMetadata } from './token.service.js';

describe('aws_client_metadata', () => {
  it('reads the URL-decoded JSON object of strings the developer guide shows', () => {
    const form = new URLSearchParams(
      'aws_client_metadata=%7B%22environment%22%3A%20%22dev%22,%20%22language%22%3A%20%22en-US%22%7D',
    );
    expect(parseClientMetadata(form.get('aws_client_metadata')!, 'svc')).toEqual({
      environment: 'dev',
      language: 'en-US',
    });
    expect(parseClientMetadata(undefined, 'svc')).toEqual({});
  });

  it.each(['{not json', '"tenant"', '["a"]', 'null', '{"tier":3}', '{"a":{"b":"c"}}'])(
    'answers %s with invalid_request',
    (value) => {
      const err = (() => {
        try {
          return parseClientMetadata(value, 'svc');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(OAuthError);
      expect(err).toMatchObject({ code: 'invalid_request', clientId: 'svc' });
    },
  );
});
