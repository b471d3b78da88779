import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ObservationDto } from './observation.dto.js';
import { WeatherClient } from './weather.client.js';

@Controller()
export class WeatherController {
  constructor(private readonly weather: WeatherClient) {}

  /** The forecast from weather-api, fetched with the read client. */
  @Get('forecast')
  forecast() {
    return this.weather.forecast();
  }

  /** Forwards a validated observation to weather-api with the write client. */
  @Post('observations')
  @HttpCode(201)
  record(@Body() observation: ObservationDto) {
    return this.weather.record(observation);
  }
}
