import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** An observation as weather-api's `POST /weatherforecast` takes it (whole degrees). */
export class ObservationDto {
  @Matches(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, {
    message: 'date must be an ISO date (YYYY-MM-DD)',
  })
  date: string;

  @IsInt()
  @Min(-100)
  @Max(100)
  temperatureC: number;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  summary?: string;
}
