// The package as a consumer installs it: built from the build config into a scratch
// node_modules, then type-checked by projects that have neither the DOM lib nor @types/node.
import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SDK = fileURLToPath(new URL('..', import.meta.url));
const TSC = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(SDK, 'package.json'), 'utf8')) as {
  engines: { node: string };
  files: string[];
  exports: { '.': { types: string; import: string } };
};

/** Type-checks `source` as a consumer's own file, with `lib` and no ambient types. */
async function typecheck(root: string, name: string, lib: string[], source: string) {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'main.ts'), source);
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib,
        types: [],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        typeRoots: [],
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  try {
    await run(process.execPath, [TSC, '-p', dir], { cwd: dir });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('the published package', () => {
  let root: string;
  let installed: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'measurely-sdk-'));
    installed = path.join(root, 'node_modules', '@measurely', 'sdk');
    mkdirSync(installed, { recursive: true });
    await run(process.execPath, [
      TSC,
      '-p',
      path.join(SDK, 'tsconfig.build.json'),
      '--outDir',
      path.join(installed, 'dist'),
    ]);
    cpSync(path.join(SDK, 'package.json'), path.join(installed, 'package.json'));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('ships no source map pointing at files it leaves out', () => {
    const built = readdirSync(path.join(installed, 'dist'));
    expect(built).toContain('index.js');
    expect(built).toContain('index.d.ts');
    const maps = built.filter((file) => file.endsWith('.map'));
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(path.join(installed, 'dist', map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        const shipped = path.relative(installed, path.resolve(installed, 'dist', source));
        expect(manifest.files.some((entry) => shipped.startsWith(entry))).toBe(true);
      }
    }
    for (const file of built.filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(path.join(installed, 'dist', file), 'utf8');
      if (!text.includes('sourceMappingURL')) continue;
      expect(maps).toContain(`${file}.map`);
    }
    expect(manifest.exports['.']).toEqual({
      types: './dist/index.d.ts',
      import: './dist/index.js',
    });
  });

  it('asks for Node 20 or later', () => {
    expect(manifest.engines.node).toBe('>=20');
  });

  it('type-checks in a project with neither the DOM lib nor @types/node', async () => {
    const errors = await typecheck(
      root,
      'bare',
      ['ES2022'],
      `import Measurely, {
  createClient,
  type AbortSignalLike,
  type BatchEvent,
  type MeasurelyClient,
  MeasurelyError,
} from '@measurely/sdk';

declare const signal: AbortSignalLike;
const client: MeasurelyClient = createClient({
  apiKey: 'mly_x',
  baseUrl: 'https://metrics.example.com',
  batch: { maxEvents: 10 },
  onError: (error: MeasurelyError, events: readonly BatchEvent[]) => void [error.code, events],
  fetch: async (input, init) => ({
    ok: true,
    status: 200,
    statusText: String(input) + String(init?.method),
    headers: { get: () => null },
    text: async () => '{}',
  }),
});
await client.capture('signups', { value: 1 }, { signal });
await client.close({ timeoutMs: 1000, signal });
const series = await client.series('signups', { range: 'today' }, { signal });
const total: number | undefined = series.summary.total.sum;
Measurely.init('mly_x');
const answer: { success: boolean; message: string } = await Measurely.capture('m', { value: 1 });
export { answer, total };
`,
    );
    expect(errors).toBe('');
  }, 60_000);

  it("accepts the platform's fetch and AbortSignal where the DOM lib is loaded", async () => {
    const errors = await typecheck(
      root,
      'dom',
      ['ES2022', 'DOM'],
      `import { createClient } from '@measurely/sdk';

const client = createClient({ apiKey: 'mly_x', fetch: window.fetch, batch: {} });
await client.capture('signups', { value: 1 }, { signal: AbortSignal.timeout(5000) });
await client.flush({ signal: new AbortController().signal });
const keyed = await client.identify({ signal: AbortSignal.timeout(1000) });
export { keyed };
`,
    );
    expect(errors).toBe('');
  }, 60_000);

  it('a type error in the consumer is reported (the check is real)', async () => {
    const errors = await typecheck(
      root,
      'wrong',
      ['ES2022'],
      `import { createClient } from '@measurely/sdk';
await createClient({ apiKey: 'mly_x' }).capture('signups', { value: '1' });
`,
    );
    expect(errors).toMatch(/TS2322/);
  }, 60_000);
});
