// The tracing entry point: `node --import <this file, built> main.js` starts OpenTelemetry
// before the app's modules load (OTel's documented way for ES modules), or does nothing
// when no exporter is configured (see tracingEnabled). Worker threads inherit --import:
// only the main thread traces.
import { isMainThread } from 'node:worker_threads';
import { startTracing } from './tracing.js';

if (isMainThread) await startTracing(process.env);
