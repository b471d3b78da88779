import type { DestinationStream } from 'pino';

/** What a scrubbed value is replaced with. */
export const REDACTED = '[Redacted]';

/**
 * Structured fields pino removes before serialising (exact, cheap): the credentials a
 * request carries in its headers, and the secrets of the OAuth 2.0 token exchange
 * wherever they appear one or two levels down.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  ...['client_secret', 'access_token', 'refresh_token', 'id_token', 'password'].flatMap((key) => [
    key,
    `*.${key}`,
    `*.*.${key}`,
  ]),
];

// JWS compact serialisation whose header and payload are JSON objects ("{" => "eyJ").
const JWT_LIKE = /eyJ[\w-]*\.eyJ[\w-]*\.[\w-]*/g;
// `Bearer <token>`: the credential is at least 8 token68 characters, so "Bearer realm=..."
// (a WWW-Authenticate challenge) is left readable.
const BEARER = /\b(Bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi;
// `Basic <base64(id:secret)>`: redacted only when it decodes to something with a colon, so
// prose such as "Basic authentication" survives.
const BASIC = /\b(Basic)\s+([A-Za-z0-9+/]{4,}={0,2})/gi;
// Secret-named keys at any depth, as JSON (`"client_secret":"..."`) or form (`client_secret=...`).
const SECRET_KEYS = 'client_secret|access_token|refresh_token|id_token|password';
const JSON_SECRET = new RegExp(`"(${SECRET_KEYS})"\\s*:\\s*"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const FORM_SECRET = new RegExp(`\\b(${SECRET_KEYS})=[^&\\s"]+`, 'gi');

// Every pattern above needs one of these (case-insensitively): a line without any cannot
// change, so it skips the five replacements. Most lines (request completions) have none.
const MAY_HOLD_SECRET = /eyJ|earer\s|asic\s|_secret|_token|password/i;

/**
 * Replaces every token-shaped string in `text` (JWT-like values, `Bearer <x>`,
 * `Basic <base64 id:secret>`, and `client_secret` / `access_token` / `password` values
 * in JSON or form encoding) with `[Redacted]`. Used on every serialised log line, so a
 * token that slips into a message or an error still never reaches the output.
 *
 * @example
 * ```ts
 * scrubSecrets('sent Authorization: Bearer eyJhbGciOi...'); // 'sent Authorization: Bearer [Redacted]'
 * ```
 */
export function scrubSecrets(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(JWT_LIKE, REDACTED)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(BASIC, (match: string, scheme: string, value: string) =>
      Buffer.from(value, 'base64').toString('latin1').includes(':')
        ? `${scheme} ${REDACTED}`
        : match,
    )
    .replace(JSON_SECRET, `"$1":"${REDACTED}"`)
    .replace(FORM_SECRET, `$1=${REDACTED}`);
}

/**
 * Wraps a pino destination so that each serialised line passes through
 * {@link scrubSecrets} first: the one choke point every log line crosses, whatever
 * logged it (messages, bindings, serialised errors, request objects).
 */
export function scrubbingDestination(destination: DestinationStream): DestinationStream {
  return {
    write(line: string): void {
      destination.write(scrubSecrets(line));
    },
  };
}
