import { startEmulator } from './bootstrap.js';

await startEmulator();
