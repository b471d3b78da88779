/** Injection token of the validated `EmulatorConfig`. */
export const EMULATOR_CONFIG = Symbol('EMULATOR_CONFIG');

/** Injection token of the registry of `POST /` operations (`AwsOperations`). */
export const AWS_OPERATIONS = Symbol('AWS_OPERATIONS');
