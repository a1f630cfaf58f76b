import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** For tests that run the real server as a process, from its TypeScript sources. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const SERVER_BIN = path.join(REPO_ROOT, 'apps/server/src/cli/bin.ts');
export const TSX_LOADER = path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs');

/** A TCP port that was free a moment ago, for a server process to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
