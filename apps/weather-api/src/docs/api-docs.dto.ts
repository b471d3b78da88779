import { ApiProperty, type ApiPropertyOptions, ApiPropertyOptional } from '@nestjs/swagger';

/** One day of weather, as answered by weather-api. */
export class WeatherForecastDto {
  @ApiProperty({ example: '2030-01-01', description: 'ISO 8601 date' })
  date!: string;

  @ApiProperty({ example: 21, minimum: -100, maximum: 100 })
  temperatureC!: number;

  @ApiProperty({ example: 70 })
  temperatureF!: number;

  @ApiProperty({ type: String, nullable: true, example: 'Mild' })
  summary!: string | null;
}

/** An RFC 6750 error (401, 403, 400 for a malformed Authorization header, 503). */
export class AuthErrorDto {
  @ApiProperty({
    enum: [
      'unauthorized',
      'invalid_token',
      'invalid_request',
      'insufficient_scope',
      'temporarily_unavailable',
    ],
    example: 'invalid_token',
  })
  error!: string;

  @ApiProperty({ example: 'the token has expired' })
  error_description!: string;

  @ApiPropertyOptional({
    description: 'With insufficient_scope: the scopes the operation requires (space-separated)',
    example: 'weather-api/forecast.write',
  })
  scope?: string;

  @ApiPropertyOptional({
    description:
      'With insufficient_scope: the claim the operation requires, when that is what failed',
    example: 'tenant_id',
  })
  claim?: string;
}

/** The tenant an access token names (its `tenant_id` claim). */
export class TenantDto {
  @ApiProperty({ example: 'tenant-acme' })
  tenant!: string;
}

/** One invalid field of a request body. */
export class FieldErrorDto {
  @ApiProperty({ example: 'temperatureC' })
  field!: string;

  @ApiProperty({ type: [String], example: ['temperatureC must not be greater than 100'] })
  errors!: string[];
}

/** A request body that failed validation (400) or could not be read (400, 413). */
export class RequestErrorDto {
  @ApiProperty({ enum: ['invalid_request', 'payload_too_large'], example: 'invalid_request' })
  error!: string;

  @ApiProperty({ example: 'the request body is invalid' })
  error_description!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  fields?: FieldErrorDto[];
}

/** Who the token says the caller is. */
export class PrincipalDto {
  @ApiProperty({ example: 'weather-caller', description: 'client_id of the app client' })
  clientId!: string;

  @ApiProperty({ example: 'weather-caller', description: 'sub' })
  subject!: string;

  @ApiProperty({ type: [String], example: ['weather-api/forecast.read'] })
  scopes!: string[];

  @ApiProperty({ enum: ['access', 'id'], example: 'access' })
  tokenUse!: string;

  @ApiPropertyOptional({ description: 'For user tokens' })
  username?: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Every verified claim of the token',
  })
  claims!: Record<string, unknown>;
}

/** The liveness answer of the legacy `GET /health`. */
export class StatusDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: string;
}

/** What one readiness indicator reported, by its name (e.g. `jwks`). */
const INDICATORS: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    additionalProperties: true,
  },
};

/** The answer of the probes `GET /health/live` and `GET /health/ready` (terminus's result). */
export class HealthCheckResultDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], example: 'ok' })
  status!: string;

  @ApiPropertyOptional({ ...INDICATORS, description: 'The indicators that are up' })
  info?: Record<string, unknown>;

  @ApiPropertyOptional({ ...INDICATORS, description: 'The indicators that are down' })
  error?: Record<string, unknown>;

  @ApiProperty({ ...INDICATORS, description: 'Every indicator' })
  details!: Record<string, unknown>;
}
