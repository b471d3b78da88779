import {
  m2mClientOptionsFromEnv,
  type M2MClientModuleOptions,
} from '@nest-m2m-cognito/auth/client';
import { READ_CLIENT, WEATHER_API, WRITE_CLIENT } from '../weather/weather.client.js';

/** One M2M client of the caller, as registered. */
export type CallerClient = M2MClientModuleOptions & { name: string };

// DEV-ONLY demo credentials of the emulator's shipped pool (libs/fleet-auth/pool.json),
// used only when no token endpoint is configured, so `npm start` runs the local fleet.
const DEMO_TOKEN_URL = 'http://127.0.0.1:4000/oauth2/token';
const DEMO_READ = {
  tokenUrl: DEMO_TOKEN_URL,
  clientId: 'weather-caller',
  clientSecret: 'weather-caller-dev-secret',
  scopes: ['weather-api/forecast.read'],
};
const DEMO_WRITE = {
  tokenUrl: DEMO_TOKEN_URL,
  clientId: 'weather-admin',
  clientSecret: 'weather-admin-dev-secret',
  scopes: ['weather-api/forecast.write'],
};

/**
 * The caller's two clients of weather-api, from `env` (never `process.env` directly): the
 * read client from `OAUTH_*`, the write client from `OAUTH_WRITE_*` (outside the demo, the
 * read client's credentials when unset), both calling `WEATHER_API_URL` (default
 * `http://127.0.0.1:3000`). With no token endpoint configured, the emulator's demo pool with
 * its dev-only credentials, unless client credentials are set or `NODE_ENV=production`.
 * Fails fast naming the bad variable (see `m2mClientOptionsFromEnv`).
 */
export function callerClients(env: NodeJS.ProcessEnv): [CallerClient, CallerClient] {
  const weatherApi = { downstream: WEATHER_API, defaultBaseURL: 'http://127.0.0.1:3000' };
  const read = m2mClientOptionsFromEnv(env, READ_CLIENT, {
    ...weatherApi,
    prefix: 'OAUTH',
    dev: DEMO_READ,
  });
  const write = m2mClientOptionsFromEnv(env, WRITE_CLIENT, {
    ...weatherApi,
    prefix: 'OAUTH_WRITE',
    dev: DEMO_WRITE,
    fallback: read,
  });
  return [read, write];
}
