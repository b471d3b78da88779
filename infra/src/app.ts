// The CDK app that infra/cdk.json runs (built to dist/infra): cdk synth | diff | deploy.
import { App } from 'aws-cdk-lib';
import { resolve } from 'node:path';
import { loadPool } from '../../libs/fleet-auth/src/index.js';
import { fleetAuthStack } from './fleet-auth.app.js';

// No AWS::CDK::Metadata resource: the template holds only what the definition asks for.
const app = new App({ analyticsReporting: false });
// Context from cdk.json or `-c definition=...`; the CLI runs the app in infra/.
const file = resolve(String(app.node.getContext('definition')));
try {
  fleetAuthStack(app, await loadPool(file, 'cdk context "definition"'), file);
  app.synth();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
