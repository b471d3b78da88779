import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Scopes } from '@app/auth';
import { ObservationDto } from './observation.dto.js';
import { type WeatherForecast, WeatherForecastService } from './weather-forecast.service.js';

export const READ_SCOPE = 'weather-api/forecast.read';
export const WRITE_SCOPE = 'weather-api/forecast.write';

@Controller('weatherforecast')
export class WeatherForecastController {
  constructor(private readonly forecasts: WeatherForecastService) {}

  @Scopes(READ_SCOPE)
  @Get()
  list(): WeatherForecast[] {
    return this.forecasts.list();
  }

  @Scopes(WRITE_SCOPE)
  @Post()
  @HttpCode(201)
  add(@Body() observation: ObservationDto): WeatherForecast {
    return this.forecasts.add(observation);
  }
}
