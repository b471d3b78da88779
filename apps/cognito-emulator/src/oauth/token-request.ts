import { OAuthError } from './oauth.error.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * Parses a token request body: `application/x-www-form-urlencoded` (UTF-8),
 * each parameter at most once (RFC 6749 §3.2); empty values count as absent.
 */
export function parseTokenForm(
  contentType: string | undefined,
  body: unknown,
): Map<string, string> {
  const [mediaType, ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (mediaType !== FORM) {
    throw new OAuthError('invalid_request', `Content-Type must be ${FORM}`);
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && charset.replace(/"/g, '') !== 'utf-8') {
    throw new OAuthError('invalid_request', 'the form must be UTF-8');
  }
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  const form = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(text)) {
    if (form.has(key)) {
      throw new OAuthError('invalid_request', `parameter "${key}" is repeated`);
    }
    form.set(key, value);
  }
  for (const [key, value] of form) if (value === '') form.delete(key);
  return form;
}
