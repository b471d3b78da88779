import { InjectM2MHttpService, RequestIdContext } from '@app/auth';
import { HttpService } from '@nestjs/axios';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import type { ObservationDto } from './observation.dto.js';

export const READ_CLIENT = 'weather-read';
export const WRITE_CLIENT = 'weather-write';

/**
 * weather-api, called with the read client for reads and the write client for writes.
 * Every call carries the incoming request's `x-request-id`.
 */
@Injectable()
export class WeatherClient implements OnModuleInit {
  constructor(
    private readonly ids: RequestIdContext,
    @InjectM2MHttpService(READ_CLIENT) private readonly read: HttpService,
    @InjectM2MHttpService(WRITE_CLIENT) private readonly write: HttpService,
  ) {}

  onModuleInit() {
    for (const http of [this.read, this.write]) this.ids.propagateTo(http.axiosRef);
  }

  async forecast(): Promise<unknown> {
    const res = await firstValueFrom(this.read.get<unknown>('/weatherforecast'));
    return res.data;
  }

  async record(observation: ObservationDto): Promise<unknown> {
    const res = await firstValueFrom(this.write.post<unknown>('/weatherforecast', observation));
    return res.data;
  }
}
