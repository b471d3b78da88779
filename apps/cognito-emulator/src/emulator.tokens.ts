/** Injection token of the validated pool (`Pool`). */
export const POOL = Symbol('POOL');
