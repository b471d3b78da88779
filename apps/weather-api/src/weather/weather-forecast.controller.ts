import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Scopes } from '@nest-m2m-cognito/auth/resource-server';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProtected } from '../docs/api-docs.decorators.js';
import { RequestErrorDto, WeatherForecastDto } from '../docs/api-docs.dto.js';
import { ObservationDto } from './observation.dto.js';
import { type WeatherForecast, WeatherForecastService } from './weather-forecast.service.js';

export const READ_SCOPE = 'weather-api/forecast.read';
export const WRITE_SCOPE = 'weather-api/forecast.write';

@ApiTags('weatherforecast')
@Controller('weatherforecast')
export class WeatherForecastController {
  constructor(private readonly forecasts: WeatherForecastService) {}

  @Scopes(READ_SCOPE)
  @ApiOperation({
    summary: `Five days of forecast, then the recorded observations (${READ_SCOPE})`,
  })
  @ApiOkResponse({ description: 'The forecast', type: [WeatherForecastDto] })
  @ApiProtected(READ_SCOPE)
  @Get()
  list(): WeatherForecast[] {
    return this.forecasts.list();
  }

  @Scopes(WRITE_SCOPE)
  @ApiOperation({ summary: `Record an observation (${WRITE_SCOPE})` })
  @ApiCreatedResponse({ description: 'The recorded observation', type: WeatherForecastDto })
  @ApiBadRequestResponse({
    description:
      'Invalid body (invalid_request, with the fields) or malformed Authorization header',
    type: RequestErrorDto,
  })
  @ApiPayloadTooLargeResponse({
    description: 'Body larger than 16 kB (payload_too_large)',
    type: RequestErrorDto,
  })
  @ApiProtected(WRITE_SCOPE)
  @Post()
  @HttpCode(201)
  add(@Body() observation: ObservationDto): WeatherForecast {
    return this.forecasts.add(observation);
  }
}
