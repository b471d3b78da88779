import { InjectM2MHttpService } from '@nest-m2m-cognito/auth/client';
import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import type { ObservationDto } from './observation.dto.js';

export const READ_CLIENT = 'weather-read';
export const WRITE_CLIENT = 'weather-write';

/**
 * weather-api, called with the read client for reads and the write client for writes.
 * Every call carries the incoming request's `x-request-id` (the M2M clients forward it).
 */
@Injectable()
export class WeatherClient {
  constructor(
    @InjectM2MHttpService(READ_CLIENT) private readonly read: HttpService,
    @InjectM2MHttpService(WRITE_CLIENT) private readonly write: HttpService,
  ) {}

  async forecast(): Promise<unknown> {
    const res = await firstValueFrom(this.read.get<unknown>('/weatherforecast'));
    return res.data;
  }

  async record(observation: ObservationDto): Promise<unknown> {
    const res = await firstValueFrom(this.write.post<unknown>('/weatherforecast', observation));
    return res.data;
  }
}
