/** Injection token of the validated pool (`Pool`). */
export const POOL = Symbol('POOL');
/** Injection token of the validated settings (`EmulatorConfig`). */
export const EMULATOR_CONFIG = Symbol('EMULATOR_CONFIG');
