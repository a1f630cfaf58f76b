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
  exports: { '.': Record<string, string> };
};

/**
 * Type-checks `source` as a consumer's own file, with `lib` and no ambient types; an ES module
 * unless `type` says otherwise, with `compilerOptions` added to a strict configuration.
 */
async function typecheck(
  root: string,
  name: string,
  lib: string[],
  source: string,
  { type = 'module', compilerOptions = {} }: { type?: string; compilerOptions?: object } = {},
) {
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
        ...compilerOptions,
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type }));
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
      default: './dist/index.js',
    });
  });

  it('can be require()d from CommonJS (Node 20.19 or later)', async () => {
    const script = path.join(root, 'consumer.cjs');
    writeFileSync(
      script,
      `const sdk = require('@measurely/sdk');
const client = sdk.createClient({ apiKey: 'mly_x' });
console.log(typeof sdk.MeasurelyError, client.baseUrl, sdk.default === sdk.Measurely);
`,
    );
    const { stdout, stderr } = await run(process.execPath, [script], { cwd: root });
    expect(stdout.trim()).toBe('function http://localhost:3000 true');
    expect(stderr).toBe('');
  });

  it('type-checks in a CommonJS project', async () => {
    const errors = await typecheck(
      root,
      'commonjs',
      ['ES2022'],
      `import { createClient, MeasurelyError } from '@measurely/sdk';
const client = createClient({ apiKey: 'mly_x' });
export const checked: [string, boolean] = [client.baseUrl, new Error() instanceof MeasurelyError];
`,
      { type: 'commonjs' },
    );
    expect(errors).toBe('');
  }, 60_000);

  it('type-checks options given as undefined under exactOptionalPropertyTypes', async () => {
    const errors = await typecheck(
      root,
      'exact',
      ['ES2022'],
      `import Measurely, { createClient } from '@measurely/sdk';

declare const env: Record<string, string | undefined>;
const client = createClient({
  apiKey: env.MEASURELY_API_KEY ?? '',
  baseUrl: env.MEASURELY_URL,
  timeoutMs: undefined,
  maxRetries: undefined,
  backoff: { initialDelayMs: undefined, maxDelayMs: undefined },
  maxRetryAfterMs: undefined,
  batch: env.BATCH === undefined ? undefined : { maxEvents: undefined, flushIntervalMs: 1000 },
  fetch: undefined,
  onError: undefined,
});
await client.capture(
  'signups',
  { value: 1, filters: undefined, timestamp: undefined },
  { idempotencyKey: undefined, signal: undefined },
);
await client.captureBatch([{ metric: 'signups', value: 1, timestamp: undefined }]);
await client.flush({ timeoutMs: undefined, signal: undefined });
await client.series('signups', { range: 'today', tz: env.TZ, granularity: undefined, top: undefined });
await client.breakdown('signups', { by: 'plan', range: undefined, limit: undefined });
await client.metrics({ tz: env.TZ, signal: undefined });
await client.identify({ signal: undefined });
Measurely.init('mly_x', { baseUrl: env.MEASURELY_URL, timeoutMs: undefined });
await Measurely.capture('signups', { value: 1, filters: undefined });
`,
      { compilerOptions: { exactOptionalPropertyTypes: true } },
    );
    expect(errors).toBe('');
  }, 60_000);

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
