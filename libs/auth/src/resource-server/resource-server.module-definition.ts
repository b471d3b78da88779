import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ResourceServerModuleOptions } from './resource-server.options.js';

/** Extras of `forRoot`/`forRootAsync`. */
export interface ResourceServerModuleExtras {
  /**
   * Register `JwtAuthGuard` as a global guard (deny by default, scopes per route).
   * Default `true`; set `false` to bind it yourself.
   */
  globalGuards?: boolean;
}

export const {
  ConfigurableModuleClass: ResourceServerConfigurableModule,
  MODULE_OPTIONS_TOKEN: RESOURCE_SERVER_MODULE_OPTIONS,
  OPTIONS_TYPE: RESOURCE_SERVER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RESOURCE_SERVER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ResourceServerModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<ResourceServerModuleExtras>({ globalGuards: true }, (definition) => definition)
  .build();

/** Injection token of the resolved options. */
export const RESOLVED_RESOURCE_SERVER_OPTIONS = Symbol('RESOLVED_RESOURCE_SERVER_OPTIONS');

/** Injection token of the revocation list (`null` without one). */
export const REVOCATION_LIST = Symbol('REVOCATION_LIST');
