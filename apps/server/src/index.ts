export { buildApp } from './app.js';
export { runCli } from './cli/main.js';
export { loadConfig } from './config.js';
export { startServer } from './main.js';
