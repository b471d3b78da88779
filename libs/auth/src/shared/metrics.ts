import type { Registry } from 'prom-client';

/**
 * The metric registered on `registry` under `name`, or the one `create` makes (and
 * registers) when there is none yet: several providers or clients on one app's registry
 * share a series instead of failing on a duplicate name. Library-internal.
 */
export function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
