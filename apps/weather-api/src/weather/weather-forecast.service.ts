import { Injectable } from '@nestjs/common';
import type { ObservationDto } from './observation.dto.js';

/** One day of weather. */
export interface WeatherForecast {
  date: string;
  temperatureC: number;
  temperatureF: number;
  summary: string | null;
}

const SUMMARIES = [
  'Freezing',
  'Bracing',
  'Chilly',
  'Cool',
  'Mild',
  'Warm',
  'Balmy',
  'Hot',
  'Sweltering',
  'Scorching',
];
const MAX_OBSERVATIONS = 100;

const fahrenheit = (c: number) => 32 + Math.round(c / 0.5556);

@Injectable()
export class WeatherForecastService {
  private readonly observations: WeatherForecast[] = [];

  /** Five days from tomorrow, then the stored observations (newest last). */
  list(): WeatherForecast[] {
    const today = Date.now();
    const days = Array.from({ length: 5 }, (_, i) => {
      const temperatureC = Math.floor(Math.random() * 75) - 20;
      return {
        date: new Date(today + (i + 1) * 86_400_000).toISOString().slice(0, 10),
        temperatureC,
        temperatureF: fahrenheit(temperatureC),
        summary: SUMMARIES[Math.floor(Math.random() * SUMMARIES.length)],
      };
    });
    return [...days, ...this.observations];
  }

  /** Keeps an observation in memory (the last 100). */
  add(observation: ObservationDto): WeatherForecast {
    const stored = {
      date: observation.date,
      temperatureC: observation.temperatureC,
      temperatureF: fahrenheit(observation.temperatureC),
      summary: observation.summary ?? null,
    };
    this.observations.push(stored);
    if (this.observations.length > MAX_OBSERVATIONS) this.observations.shift();
    return stored;
  }
}
