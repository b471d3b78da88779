import { Inject } from '@nestjs/common';
import { tokenProviderToken } from '../shared/readiness.js';

/** The injection token of the `TokenProvider` of the M2M client named `name`. */
export function getTokenProviderToken(name = 'default'): string {
  return tokenProviderToken(name);
}

/** The injection token of the `HttpService` of the M2M client named `name`. */
export function getM2MHttpServiceToken(name = 'default'): string {
  return `M2M_HTTP_SERVICE:${name}`;
}

/**
 * Injects the `TokenProvider` of the M2M client registered under `name`.
 *
 * @example
 * ```ts
 * constructor(@InjectTokenProvider('read') private readonly tokens: TokenProvider) {}
 * ```
 */
export const InjectTokenProvider = (name = 'default') => Inject(getTokenProviderToken(name));

/**
 * Injects the `HttpService` of the M2M client registered under `name`: its own axios
 * instance, with the client's `baseURL` and bearer tokens attached.
 *
 * @example
 * ```ts
 * constructor(@InjectM2MHttpService('read') private readonly http: HttpService) {}
 * ```
 */
export const InjectM2MHttpService = (name = 'default') => Inject(getM2MHttpServiceToken(name));
