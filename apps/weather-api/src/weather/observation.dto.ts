import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** A weather observation posted by a client with `weather-api/forecast.write`. */
export class ObservationDto {
  @ApiProperty({ example: '2030-01-01', description: 'ISO 8601 date or date-time' })
  @IsISO8601({ strict: true })
  date!: string;

  @ApiProperty({ type: 'integer', minimum: -100, maximum: 100, example: 21 })
  @IsInt()
  @Min(-100)
  @Max(100)
  temperatureC!: number;

  @ApiPropertyOptional({ maxLength: 64, example: 'Mild' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  summary?: string;
}
