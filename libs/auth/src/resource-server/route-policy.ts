import { type ExecutionContext, Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { Public } from '../shared/public.decorator.js';
import { AnyValidToken } from './any-valid-token.decorator.js';
import { type ClaimRequirement, RequiredClaims } from './require-claim.decorator.js';
import { RequiredScopes } from './scopes.decorator.js';

/** What a route requires, from its decorators (handler over controller). */
export interface RoutePolicy {
  /** `@Public()`: no token needed. */
  public: boolean;
  /** `@Scopes(...)`: every one of them (none for `@AnyValidToken()`). */
  scopes: readonly string[];
  /** `@RequireClaim(...)` of the handler and of its controller: every one of them. */
  claims: readonly ClaimRequirement[];
  /** False for a route that declares no policy (start-up refuses it unless `routePolicy: 'warn'`). */
  declared: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Target = Function;

/** What `target` (a handler or a controller class) itself declares: how many policies, and the strictest. */
function declaredOn(reflector: Reflector, target: Target): { count: number; policy?: RoutePolicy } {
  const scopes = reflector.get(RequiredScopes, target) ?? [];
  const any = reflector.get(AnyValidToken, target) === true;
  const open = reflector.get(Public, target) === true;
  const count = Number(scopes.length > 0) + Number(any) + Number(open);
  if (count === 0) return { count };
  // Of conflicting declarations the strictest wins; start-up refuses them anyway.
  return {
    count,
    policy: {
      public: scopes.length === 0 && !any,
      scopes: [...scopes],
      claims: [],
      declared: true,
    },
  };
}

const UNDECLARED: RoutePolicy = Object.freeze({
  public: false,
  scopes: [],
  claims: [],
  declared: false,
});

/** The claim requirements of a route: its handler's and its controller's, all of them. */
function claimsOf(reflector: Reflector, handler: Target, controller: Target) {
  return reflector.getAllAndMerge(RequiredClaims, [handler, controller]) as ClaimRequirement[];
}

/** The policy of a route: its handler's declaration, else its controller's. */
export function routePolicyOf(
  reflector: Reflector,
  handler: Target,
  controller: Target,
): RoutePolicy {
  const policy = declaredOn(reflector, handler).policy ?? declaredOn(reflector, controller).policy;
  const claims = Object.freeze(claimsOf(reflector, handler, controller));
  if (!policy) return claims.length > 0 ? Object.freeze({ ...UNDECLARED, claims }) : UNDECLARED;
  return Object.freeze({ ...policy, scopes: Object.freeze(policy.scopes), claims });
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
      policy = routePolicyOf(this.reflector, handler, controller);
      byHandler.set(handler, policy);
    }
    return policy;
  }
}

/** A route whose policy is missing or ambiguous, for the start-up message. */
export interface RoutePolicyProblem {
  /** e.g. `DELETE /items/:id (ItemsController.remove)`. */
  route: string;
  /** `claims on a public route`: `@RequireClaim` where no token is checked. */
  problem: 'none' | 'conflicting' | 'claims on a public route';
}

/** `@Controller()`/`@Get()` paths (a string, or an array whose first names the route) as one path. */
function joinPath(...parts: unknown[]): string {
  const segments = parts
    .map((p) => (Array.isArray(p) ? (p as unknown[])[0] : p))
    .map((p) => (typeof p === 'string' ? p : ''))
    .join('/')
    .split('/')
    .filter((s) => s.length > 0);
  return `/${segments.join('/')}`;
}

/**
 * Every route of every controller of the app that declares no policy, or conflicting ones
 * on one handler or controller, or `@RequireClaim` on a `@Public()` route, named by method,
 * path and handler.
 */
@Injectable()
export class RoutePolicyAudit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  problems(): RoutePolicyProblem[] {
    const problems: RoutePolicyProblem[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Target | null | undefined;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, Target>;
      const onController = declaredOn(this.reflector, controller).count;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
        if (path === undefined) continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
        const route =
          `${RequestMethod[method] ?? 'ALL'} ` +
          `${joinPath(Reflect.getMetadata(PATH_METADATA, controller), path)} ` +
          `(${controller.name}.${name})`;
        const onHandler = declaredOn(this.reflector, handler).count;
        if (onHandler > 1 || (onHandler === 0 && onController > 1)) {
          problems.push({ route, problem: 'conflicting' });
        } else if (onHandler === 0 && onController === 0) {
          problems.push({ route, problem: 'none' });
        } else {
          const policy = routePolicyOf(this.reflector, handler, controller);
          if (policy.public && policy.claims.length > 0) {
            problems.push({ route, problem: 'claims on a public route' });
          }
        }
      }
    }
    return problems;
  }
}
