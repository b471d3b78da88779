import { DownstreamError, InjectM2MHttpService } from '@nest-m2m-cognito/auth/client';
import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import type { ObservationDto } from './observation.dto.js';

export const READ_CLIENT = 'weather-read';
export const WRITE_CLIENT = 'weather-write';

/** How errors name weather-api (the clients' `downstream`). */
export const WEATHER_API = 'weather-api';

/**
 * What the caller relays: a JSON object or array its M2M client parsed (a 2xx body not
 * declared and parsed as JSON never gets here), re-serialised by Nest as JSON. A bare JSON
 * string would go out as text, so it is refused like any other answer not understood.
 */
function relayable(data: unknown): object {
  if (typeof data === 'object' && data !== null) return data;
  throw new DownstreamError(
    'downstream_not_json',
    WEATHER_API,
    `${WEATHER_API} answered JSON that is not an object or an array`,
  );
}

/**
 * weather-api, called with the read client for reads and the write client for writes.
 * Every call carries the incoming request's `x-request-id` (the M2M clients forward it);
 * only JSON objects and arrays come back (`relayable`).
 */
@Injectable()
export class WeatherClient {
  constructor(
    @InjectM2MHttpService(READ_CLIENT) private readonly read: HttpService,
    @InjectM2MHttpService(WRITE_CLIENT) private readonly write: HttpService,
  ) {}

  async forecast(): Promise<object> {
    const res = await firstValueFrom(this.read.get<unknown>('/weatherforecast'));
    return relayable(res.data);
  }

  async record(observation: ObservationDto): Promise<object> {
    const res = await firstValueFrom(this.write.post<unknown>('/weatherforecast', observation));
    return relayable(res.data);
  }
}
