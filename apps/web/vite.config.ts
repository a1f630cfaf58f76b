import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const SERVER = process.env.MEASURELY_DEV_SERVER ?? 'http://127.0.0.1:3000';
const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/**
 * Writes `.gz` and `.br` siblings of the text assets, which the server sends as they are
 * (@fastify/static `preCompressed`): no compression work per request, best ratio once.
 */
function precompress(): Plugin {
  return {
    name: 'measurely:precompress',
    apply: 'build',
    async writeBundle({ dir }) {
      if (dir === undefined) return;
      const files = await readdir(dir, { recursive: true });
      await Promise.all(
        files
          .filter((file) => /\.(js|css|html|svg|json)$/.test(file))
          .map(async (file) => {
            const full = path.join(dir, file);
            const source = await readFile(full);
            if (source.length < 1024) return;
            await writeFile(`${full}.gz`, await gzip(source, { level: 9 }));
            await writeFile(
              `${full}.br`,
              await brotli(source, {
                params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
              }),
            );
          }),
      );
    },
  };
}

export default defineConfig({
  plugins: [react(), precompress()],
  build: {
    // The server serves apps/web/dist; source maps stay out of what it serves.
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(
      ['/api', '/event', '/v1', '/healthz', '/readyz'].map((prefix) => [prefix, SERVER]),
    ),
  },
});
