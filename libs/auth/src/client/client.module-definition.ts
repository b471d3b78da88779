import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TokenProviderOptions } from './token-provider.options.js';

/** Options of one M2M client: its credentials, token handling and downstream API. */
export interface M2MClientModuleOptions extends TokenProviderOptions {
  /**
   * The downstream API's base URL, e.g. `http://weather-api:3000`. The token is attached
   * only to requests whose resolved origin (scheme, host, port) is this URL's: a call to an
   * absolute URL elsewhere goes out without it. Without a `baseURL`, every request carries
   * the token, so set it.
   */
  baseURL?: string;
  /**
   * Total deadline of each downstream call, from the first byte sent to the last received,
   * the retry after a 401 included; past it the call is aborted (`DownstreamError`
   * `downstream_timeout`, answered 503). Default 10,000 ms.
   */
  requestTimeoutMs?: number;
  /**
   * Largest downstream response body accepted, in bytes; a larger one is aborted as it
   * arrives (`DownstreamError` `downstream_too_large`, answered 502). Default 4 MiB.
   */
  maxResponseBytes?: number;
  /**
   * The name of the API this client calls, as error answers name it (`dependency` of the
   * 502/503 `M2MErrorFilter` sends). Default: the client's `name`.
   */
  downstream?: string;
}

/** Static extras of `register`/`registerAsync`. */
export interface M2MClientModuleExtras {
  /** The name the client's providers are injected by. Default `'default'`. */
  name?: string;
  isGlobal?: boolean;
  /**
   * Register `M2MErrorFilter` globally, so failed calls are answered with a 502/503 naming
   * what failed. Default `true`; `false` to answer them yourself.
   */
  errorFilter?: boolean;
}

export const {
  ConfigurableModuleClass: M2MClientConfigurableModule,
  MODULE_OPTIONS_TOKEN: M2M_CLIENT_OPTIONS,
  OPTIONS_TYPE: M2M_CLIENT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: M2M_CLIENT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<M2MClientModuleOptions>({ moduleName: 'M2MClient' })
  .setClassMethodName('register')
  .setExtras<M2MClientModuleExtras>(
    { name: 'default', isGlobal: false, errorFilter: true },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }),
  )
  .build();
