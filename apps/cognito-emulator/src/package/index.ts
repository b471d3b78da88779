// cognito-m2m-emulator: the package's one import surface, for a consumer's tests. The
// command (`cognito-m2m-emulator`, cli.main.ts) and the container image run the same server.
export {
  startCognitoEmulator,
  UnknownClientError,
  type CognitoEmulator,
  type CognitoEmulatorOptions,
  type EmulatorClient,
} from './cognito-emulator.js';
export type { PoolDocument } from '@app/fleet-auth';
export { PoolFileError } from '@app/fleet-auth';
export { EnvConfigError } from '@nest-m2m-cognito/auth/observability';
