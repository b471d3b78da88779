// The Lambda entry point of a client secret's rotation function (FleetAuthStack bundles this
// file with esbuild): its configuration is read once, at cold start, and a bad one fails every
// invocation with a message naming the variable.
import { rotationConfigFromEnv } from './rotation-config.js';
import { rotationClients, rotationFunction } from './rotation-function.js';

/** Secrets Manager's rotation event in, nothing out; a failed step throws. */
export const handler = rotationFunction(rotationConfigFromEnv(process.env), rotationClients());
