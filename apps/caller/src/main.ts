import { startCaller } from './bootstrap.js';

await startCaller();
