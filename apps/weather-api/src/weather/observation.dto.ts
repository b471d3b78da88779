import { IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** A weather observation posted by a client with `weather-api/forecast.write`. */
export class ObservationDto {
  @IsISO8601({ strict: true })
  date!: string;

  @IsInt()
  @Min(-100)
  @Max(100)
  temperatureC!: number;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  summary?: string;
}
