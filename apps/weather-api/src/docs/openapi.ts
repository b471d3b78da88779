import { cognitoTokenUrl } from '@nest-m2m-cognito/auth/cognito';
import { EnvConfigError } from '@nest-m2m-cognito/auth/observability';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { HelmetOptions } from 'helmet';
import { READ_SCOPE, WRITE_SCOPE } from '../weather/weather-forecast.controller.js';
import { BEARER_SCHEME, OAUTH2_SCHEME } from './api-docs.decorators.js';
import { HealthCheckResultDto } from './api-docs.dto.js';

const SCOPES: Record<string, string> = {
  [READ_SCOPE]: 'Read the forecast',
  [WRITE_SCOPE]: 'Record observations',
};

function url(name: string, value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return value;
  } catch {
    // reported below
  }
  throw new EnvConfigError(name, `${name} must be an http(s) URL`);
}

/**
 * The content security policy of weather-api's responses, the Swagger UI page at `/docs`
 * included: helmet's defaults (scripts and styles from the page's own origin, no plugins,
 * no framing by other origins), plus the token endpoint's origin for the Authorize
 * button's request, and no `upgrade-insecure-requests` (the local emulator's token
 * endpoint is plain HTTP). Checked in a real browser (apps/weather-api/test/docs.browser.e2e-spec.ts).
 */
export function docsContentSecurityPolicy(
  tokenUrl: string | undefined,
): NonNullable<HelmetOptions['contentSecurityPolicy']> {
  return {
    directives: {
      'connect-src': ["'self'", ...(tokenUrl ? [new URL(tokenUrl).origin] : [])],
      'upgrade-insecure-requests': null,
    },
  };
}

/**
 * The token URL the docs page's Authorize button posts to: `AUTH_TOKEN_URL`; else
 * Cognito's from `COGNITO_DOMAIN` (+ `COGNITO_REGION` for a prefix); else, for an issuer
 * that is not Cognito's (the emulator, `{base}/{userPoolId}`), `{base}/oauth2/token`.
 * `undefined` for a Cognito issuer without a domain: the page then offers a bearer token only.
 */
export function docsTokenUrl(
  env: NodeJS.ProcessEnv,
  issuer: string | undefined,
): string | undefined {
  const value = (name: string) => env[name]?.trim() || undefined;
  const explicit = value('AUTH_TOKEN_URL');
  if (explicit) return url('AUTH_TOKEN_URL', explicit);
  const domain = value('COGNITO_DOMAIN');
  if (domain) {
    try {
      return cognitoTokenUrl(domain, value('COGNITO_REGION'));
    } catch (cause) {
      throw new EnvConfigError('COGNITO_DOMAIN', `COGNITO_DOMAIN: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  if (!issuer || new URL(issuer).hostname.endsWith('.amazonaws.com')) return undefined;
  return `${issuer.replace(/\/+$/, '').replace(/\/[^/]*$/, '')}/oauth2/token`;
}

/** The OpenAPI document of `app`: every route, its schemas, errors, security and scopes. */
export function buildOpenApiDocument(
  app: INestApplication,
  tokenUrl: string | undefined,
): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('weather-api')
    .setDescription(
      'A resource server protected by OAuth 2.0 client-credentials tokens from Amazon Cognito ' +
        '(or the local emulator). Authorize with an app client id and secret, then try the operations.',
    )
    .setVersion('1.0');
  if (tokenUrl) {
    builder.addOAuth2(
      {
        type: 'oauth2',
        description: 'Client credentials grant against the user pool token endpoint',
        flows: { clientCredentials: { tokenUrl, scopes: SCOPES } },
      },
      OAUTH2_SCHEME,
    );
  }
  builder.addBearerAuth(
    { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito access token' },
    BEARER_SCHEME,
  );
  const document = SwaggerModule.createDocument(app, builder.build(), {
    autoTagControllers: false,
    extraModels: [HealthCheckResultDto],
  });
  describeProbes(document);
  if (!tokenUrl) {
    // No token URL known: drop the oauth2 alternative from every operation.
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) {
        const op = operation as { security?: Record<string, string[]>[] };
        if (op && Array.isArray(op.security)) {
          op.security = op.security.filter((req) => !(OAUTH2_SCHEME in req));
        }
      }
    }
  }
  return document;
}

/**
 * The library's probes carry no Swagger decorators (it does not load @nestjs/swagger in
 * services without docs), so their operations are described here: 200 when up, 503 with
 * the indicators that are down.
 */
function describeProbes(document: OpenAPIObject): void {
  const result = {
    'application/json': { schema: { $ref: getSchemaPath(HealthCheckResultDto) } },
  };
  const probes = {
    '/health/live': 'Liveness: up while the process serves HTTP',
    '/health/ready': 'Readiness: up when every readiness indicator is (the issuer key set)',
  };
  for (const [path, summary] of Object.entries(probes)) {
    const operation = document.paths[path]?.get;
    if (!operation) continue;
    operation.summary = summary;
    operation.tags = ['health'];
    operation.responses = {
      '200': { description: 'Up', content: result },
      '503': { description: 'Down, or shutting down', content: result },
    };
  }
}

/** Serves Swagger UI at `/docs` and the document at `/docs-json` (outside the guards: public). */
export function setupApiDocs(app: INestApplication, tokenUrl: string | undefined): void {
  const document = buildOpenApiDocument(app, tokenUrl);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    customSiteTitle: 'weather-api docs',
    swaggerOptions: { persistAuthorization: false, displayRequestDuration: true },
  });
}
