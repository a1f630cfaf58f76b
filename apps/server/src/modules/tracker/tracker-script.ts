import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** /track.js as served: the bundle, its compressed forms and its ETag. */
export interface TrackerScript {
  readonly source: Buffer;
  readonly gzip: Buffer;
  readonly brotli: Buffer;
  readonly etag: string;
}

/** From dist/modules/tracker/: the bundle `npm run build` writes, apps/server/dist/track.js. */
const BUILT = new URL('../../track.js', import.meta.url);
const SOURCE = new URL('./client/track.ts', import.meta.url);

/**
 * The same options as the build script's esbuild command line: one minified IIFE for browsers
 * from 2017 on. Used when the server runs from its TypeScript sources (tests, development).
 */
async function bundleFromSource(): Promise<Buffer> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(SOURCE)],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2017',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (file === undefined) throw new Error('esbuild produced no output for the tracker');
  return Buffer.from(file.contents);
}

/**
 * Loads /track.js: bundled from source when the server runs from its TypeScript files (they are
 * then the truth), else the build's bundle.
 */
export async function loadTrackerScript(): Promise<TrackerScript> {
  const fromSource = import.meta.url.endsWith('.ts');
  const source = fromSource ? await bundleFromSource() : await readFile(fileURLToPath(BUILT));
  return {
    source,
    gzip: gzipSync(source, { level: 9 }),
    brotli: brotliCompressSync(source, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY },
    }),
    etag: `"${createHash('sha256').update(source).digest('base64url').slice(0, 22)}"`,
  };
}

/**
 * The encoding to send the script in, as Accept-Encoding allows: Brotli, else gzip, else none.
 * A coding given `q=0` (directly or through `*`) is refused.
 */
export function scriptEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const weights = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [coding = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (coding === '') continue;
    const q = params.find((p) => /^q\s*=/.test(p));
    const weight = q === undefined ? 1 : Number(q.replace(/^q\s*=\s*/, ''));
    weights.set(coding, Number.isFinite(weight) ? weight : 0);
  }
  const accepts = (coding: string) => (weights.get(coding) ?? weights.get('*') ?? 0) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return undefined;
}
