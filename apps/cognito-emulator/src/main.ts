import { serveEmulator } from './serve.js';

await serveEmulator(process.env);
