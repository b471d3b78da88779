import { HttpModule, HttpService } from '@nestjs/axios';
import { type DynamicModule, Module, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Registry } from 'prom-client';
import {
  M2M_CLIENT_ASYNC_OPTIONS_TYPE,
  M2M_CLIENT_OPTIONS,
  M2M_CLIENT_OPTIONS_TYPE,
  M2MClientConfigurableModule,
  type M2MClientModuleExtras,
  type M2MClientModuleOptions,
} from './client.module-definition.js';
import { M2MClientConfigError } from './client.errors.js';
import { getM2MHttpServiceToken, getTokenProviderToken } from './client.tokens.js';
import { M2MErrorFilter } from './m2m-error.filter.js';
import { attachM2MInterceptors } from './m2m-http.interceptors.js';
import { TokenProvider } from './token-provider.js';
import { numberOption } from '../shared/number-option.js';

/** `M2MErrorFilter`, registered once per application however many clients ask for it. */
@Module({ providers: [{ provide: APP_FILTER, useClass: M2MErrorFilter }] })
class M2MErrorFilterModule {}

/** Largest downstream response body accepted by default: 4 MiB. */
const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

function positive(option: string, value: number | undefined, fallback: number): number {
  return numberOption(option, value, fallback, { min: 1, integer: true }, (name, why) => {
    throw new M2MClientConfigError(name, why);
  });
}

function clientParts(definition: DynamicModule, extras: M2MClientModuleExtras): DynamicModule {
  const name = extras.name ?? 'default';
  const optionalRegistry = { token: Registry, optional: true };
  const providers: Provider[] = [
    {
      provide: TokenProvider,
      useFactory: (options: M2MClientModuleOptions, registry?: Registry) =>
        new TokenProvider(options, { registry }),
      inject: [M2M_CLIENT_OPTIONS, optionalRegistry],
    },
    { provide: getTokenProviderToken(name), useExisting: TokenProvider },
    {
      provide: getM2MHttpServiceToken(name),
      useFactory: (http: HttpService, provider: TokenProvider, options: M2MClientModuleOptions) => {
        const axios = http.axiosRef;
        if (options.baseURL) axios.defaults.baseURL = options.baseURL;
        attachM2MInterceptors(axios, provider, provider.metrics, {
          baseURL: options.baseURL,
          dependency: options.downstream ?? name,
          deadlineMs: positive('requestTimeoutMs', options.requestTimeoutMs, 10_000),
          maxResponseBytes: positive(
            'maxResponseBytes',
            options.maxResponseBytes,
            DEFAULT_MAX_RESPONSE_BYTES,
          ),
        });
        return http;
      },
      inject: [HttpService, TokenProvider, M2M_CLIENT_OPTIONS],
    },
  ];
  return {
    ...definition,
    imports: [
      ...(definition.imports ?? []),
      // Its own HttpModule, so its own axios instance: the interceptors stay on this client.
      HttpModule.register({ maxRedirects: 0 }),
      ...((extras.errorFilter ?? true) ? [M2MErrorFilterModule] : []),
    ],
    providers: [...(definition.providers ?? []), ...providers],
    exports: [getTokenProviderToken(name), getM2MHttpServiceToken(name)],
  };
}

/**
 * One machine-to-machine client: a {@link TokenProvider} (client-credentials tokens,
 * cached, refreshed ahead, single flight) and an `HttpService` of its own that attaches
 * them (and the current request id) and retries once on a 401. Register it once per
 * client; inject by name. Two registrations with the same credentials and scopes share one
 * token (the process's default store, unless `cache` names another). Failed calls are answered with a
 * 502/503 naming what failed (`M2MErrorFilter`, registered globally unless
 * `errorFilter: false`).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     M2MClientModule.register({
 *       name: 'weather-read',
 *       tokenUrl: 'https://my-fleet.auth.eu-west-1.amazoncognito.com/oauth2/token',
 *       clientId, clientSecret, scopes: ['weather-api/forecast.read'],
 *       baseURL: 'https://weather-api.internal',
 *     }),
 *     // or, from OAUTH_INVENTORY_API_* and INVENTORY_API_URL:
 *     M2MClientModule.register(m2mClientOptionsFromEnv(process.env, 'inventory-api')),
 *   ],
 * })
 * export class AppModule {}
 *
 * // elsewhere
 * constructor(@InjectM2MHttpService('weather-read') private readonly http: HttpService) {}
 * ```
 */
@Module({})
export class M2MClientModule extends M2MClientConfigurableModule implements OnModuleDestroy {
  constructor(private readonly provider: TokenProvider) {
    super();
  }

  static override register(options: typeof M2M_CLIENT_OPTIONS_TYPE): DynamicModule {
    return clientParts(super.register(options), options);
  }

  static override registerAsync(options: typeof M2M_CLIENT_ASYNC_OPTIONS_TYPE): DynamicModule {
    return clientParts(super.registerAsync(options), options);
  }

  onModuleDestroy() {
    this.provider.close();
  }
}
