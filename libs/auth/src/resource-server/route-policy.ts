import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { type DiscoveryService, type MetadataScanner, Reflector } from '@nestjs/core';
import { Public } from './public.decorator.js';
import { RequiredScopes } from './scopes.decorator.js';

/**
 * Marks a route or controller as open to any valid access token of the issuer (and of the
 * `clientIds` allow-list, when one is set), whatever its scopes: the explicit form of what
 * a route without `@Scopes()` used to allow silently.
 *
 * @example
 * ```ts
 * @AnyValidToken()
 * @Get('whoami')
 * whoami(@Principal() principal: Principal) { return principal; }
 * ```
 */
export const AnyValidToken = Reflector.createDecorator<boolean | undefined, true>({
  transform: () => true,
});

/** What a route declares: reachable without a token, with any valid token, or with scopes. */
export type RoutePolicy =
  { kind: 'public' } | { kind: 'any_valid_token' } | { kind: 'scopes'; scopes: readonly string[] };

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Target = Function;

/** The policies declared directly on `target` (a handler or a controller class). */
function declaredOn(reflector: Reflector, target: Target): RoutePolicy[] {
  const policies: RoutePolicy[] = [];
  if (reflector.get(Public, target)) policies.push({ kind: 'public' });
  if (reflector.get(AnyValidToken, target)) policies.push({ kind: 'any_valid_token' });
  const scopes = reflector.get(RequiredScopes, target);
  if (scopes && scopes.length > 0) policies.push({ kind: 'scopes', scopes });
  return policies;
}

/**
 * The policy of a route: its handler's declaration, else its controller's, else undefined.
 * Of conflicting declarations on one target the most restrictive wins (scopes, then any
 * valid token, then public); the start-up check refuses them anyway.
 */
export function routePolicyOf(
  reflector: Reflector,
  handler: Target,
  controller: Target,
): RoutePolicy | undefined {
  for (const target of [handler, controller]) {
    const declared = declaredOn(reflector, target);
    if (declared.length > 0) {
      return (
        declared.find((p) => p.kind === 'scopes') ??
        declared.find((p) => p.kind === 'any_valid_token') ??
        declared[0]
      );
    }
  }
  return undefined;
}

/** A route whose policy is missing or ambiguous, for the start-up message. */
export interface RoutePolicyProblem {
  /** e.g. `DELETE /items/:id (ItemsController.remove)`. */
  route: string;
  problem: 'none' | 'conflicting';
}

/** `@Controller()`/`@Get()` paths (a string, or an array of which the first names the route) as one path. */
function joinPath(...parts: unknown[]): string {
  const segments = parts
    .map((p) => (Array.isArray(p) ? (p as unknown[])[0] : p))
    .map((p) => (typeof p === 'string' ? p : ''))
    .join('/')
    .split('/')
    .filter((s) => s.length > 0);
  return `/${segments.join('/')}`;
}

/** Every route of every controller of the app that declares no policy, or conflicting ones. */
export function routePolicyProblems(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  reflector: Reflector,
): RoutePolicyProblem[] {
  const problems: RoutePolicyProblem[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Target | null | undefined;
    if (typeof controller !== 'function') continue;
    const prototype = controller.prototype as Record<string, Target>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      const path: unknown = Reflect.getMetadata(PATH_METADATA, handler);
      if (path === undefined) continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
      const route =
        `${RequestMethod[method] ?? 'ALL'} ` +
        `${joinPath(Reflect.getMetadata(PATH_METADATA, controller), path)} ` +
        `(${controller.name}.${name})`;
      const onHandler = declaredOn(reflector, handler).length;
      const onController = declaredOn(reflector, controller).length;
      if (onHandler > 1 || (onHandler === 0 && onController > 1)) {
        problems.push({ route, problem: 'conflicting' });
      } else if (onHandler === 0 && onController === 0) {
        problems.push({ route, problem: 'none' });
      }
    }
  }
  return problems;
}
