import { loadConfig } from '../../config.js';
import { startServer } from '../../main.js';
import type { Command } from '../command.js';

export const serve: Command = {
  name: 'serve',
  summary: 'Run the HTTP server (PORT, HOST and DATABASE_URL from the environment)',
  usage: 'measurely serve',
  options: {},
  async run({ io }) {
    const server = await startServer(loadConfig(io.env, io.cwd));
    await server.closed;
    return undefined;
  },
};
