import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from '../shared/public.decorator.js';
import { RequiredScopes } from './scopes.decorator.js';

/** What a route requires, from its decorators (handler over controller). */
export interface RoutePolicy {
  /** `@Public()`: no token needed. */
  public: boolean;
  /** `@Scopes(...)`: every one of them. */
  scopes: readonly string[];
}

/**
 * The policy of each route, read from its metadata once and then kept (per controller
 * class and handler: an inherited handler may sit under another class's `@Scopes`), so the
 * guards do no metadata look-ups per request.
 */
@Injectable()
export class RoutePolicies {
  private readonly byClass = new WeakMap<object, WeakMap<object, RoutePolicy>>();

  constructor(private readonly reflector: Reflector) {}

  of(context: ExecutionContext): RoutePolicy {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.byClass.get(controller);
    if (!byHandler) this.byClass.set(controller, (byHandler = new WeakMap()));
    let policy = byHandler.get(handler);
    if (!policy) {
      const targets = [handler, controller];
      policy = Object.freeze({
        public: this.reflector.getAllAndOverride(Public, targets) === true,
        scopes: Object.freeze([
          ...(this.reflector.getAllAndOverride(RequiredScopes, targets) ?? []),
        ]),
      });
      byHandler.set(handler, policy);
    }
    return policy;
  }
}
