import { startWeatherApi } from './bootstrap.js';

await startWeatherApi();
