// The dashboard's first-page JavaScript budget: what a browser downloads before the first page
// shows (the scripts and modulepreloads of apps/web/dist/index.html, plus any chunk they import
// statically), each gzipped at level 9, summed, against 350 KB. Lazy chunks (pages inside a
// project, ECharts) do not count. Builds the web app when its build is missing or older than
// its sources; `--build` always rebuilds. Results: bench/results/bundle-*.json. Exits 1 on FAIL.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT } from './lib.js';

const BUDGET_KB = 350;
const WEB = path.join(ROOT, 'apps/web');
const DIST = path.join(WEB, 'dist');
const INDEX = path.join(DIST, 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

function needsBuild(): boolean {
  if (process.argv.includes('--build') || !fs.existsSync(INDEX)) return true;
  const built = fs.statSync(INDEX).mtimeMs;
  const sources = [
    newestMtime(path.join(WEB, 'src')),
    ...['index.html', 'vite.config.ts', 'package.json'].map(
      (file) => fs.statSync(path.join(WEB, file)).mtimeMs,
    ),
  ];
  return sources.some((mtime) => mtime > built);
}

/** `/assets/x.js` from index.html, as a path inside dist/. */
function distPath(url: string): string {
  return path.join(DIST, new URL(url, 'http://x/').pathname);
}

interface Asset {
  file: string;
  why: 'script' | 'modulepreload' | 'static import' | 'stylesheet';
  bytes: number;
  gzipBytes: number;
}

function measure(file: string, why: Asset['why']): Asset {
  const source = fs.readFileSync(file);
  return {
    file: path.relative(DIST, file),
    why,
    bytes: source.length,
    gzipBytes: zlib.gzipSync(source, { level: 9 }).length,
  };
}

function firstPageAssets(): Asset[] {
  const html = fs.readFileSync(INDEX, 'utf8');
  const assets: Asset[] = [];
  const seen = new Set<string>();
  const queue: Array<[string, Asset['why']]> = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
    const attr = (name: string) => tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
    if (tag.startsWith('<script')) {
      const src = attr('src');
      if (src !== undefined) queue.push([distPath(src), 'script']);
    } else if (attr('rel') === 'modulepreload') {
      const href = attr('href');
      if (href !== undefined) queue.push([distPath(href), 'modulepreload']);
    } else if (attr('rel') === 'stylesheet') {
      const href = attr('href');
      if (href !== undefined) assets.push(measure(distPath(href), 'stylesheet'));
    }
  }
  // Vite lists every static dependency as a modulepreload; following the chunks' own static
  // imports as well keeps the count honest if that ever changes.
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === undefined) break;
    const [file, why] = next;
    if (seen.has(file)) continue;
    seen.add(file);
    assets.push(measure(file, why));
    const code = fs.readFileSync(file, 'utf8');
    for (const match of code.matchAll(
      /\bimport\s*(?:[\w$*{}\s,]+?from\s*)?["'](\.{1,2}\/[^"']+)["']/g,
    )) {
      const specifier = match[1];
      if (specifier !== undefined) {
        queue.push([path.resolve(path.dirname(file), specifier), 'static import']);
      }
    }
  }
  return assets;
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);

if (needsBuild()) {
  console.log('building the web app (npm run build -w apps/web)…');
  execFileSync('npm', ['run', 'build', '--silent', '-w', 'apps/web'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const assets = firstPageAssets();
const scripts = assets.filter((asset) => asset.why !== 'stylesheet');
const totalJs = scripts.reduce((sum, asset) => sum + asset.gzipBytes, 0);
const totalCss = assets
  .filter((asset) => asset.why === 'stylesheet')
  .reduce((sum, asset) => sum + asset.gzipBytes, 0);
const lazy = fs
  .readdirSync(path.join(DIST, 'assets'))
  .filter((file) => file.endsWith('.js'))
  .map((file) => path.join(DIST, 'assets', file))
  .filter((file) => !assets.some((asset) => path.join(DIST, asset.file) === file))
  .map((file) => measure(file, 'static import'));
const pass = totalJs <= BUDGET_KB * 1024;

console.log('First page (gzip -9):');
for (const asset of assets) {
  console.log(
    `  ${asset.file.padEnd(44)} ${asset.why.padEnd(14)} ${kb(asset.bytes).padStart(8)} KB raw  ${kb(asset.gzipBytes).padStart(7)} KB gzip`,
  );
}
console.log(
  `Lazy chunks, not counted: ${lazy.length}, ${kb(lazy.reduce((s, a) => s + a.gzipBytes, 0))} KB gzip in all`,
);
for (const asset of lazy.sort((a, b) => b.gzipBytes - a.gzipBytes).slice(0, 5)) {
  console.log(`  ${asset.file.padEnd(44)} ${kb(asset.gzipBytes).padStart(7)} KB gzip`);
}
console.log(
  `JavaScript on the first page: ${kb(totalJs)} KB gzip (budget ${BUDGET_KB} KB); CSS ${kb(totalCss)} KB gzip`,
);
console.log(pass ? 'PASS' : 'FAIL');

const date = new Date().toISOString();
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
const out = path.join(ROOT, `bench/results/bundle-${date.slice(0, 19).replaceAll(':', '-')}.json`);
fs.writeFileSync(
  out,
  `${JSON.stringify(
    {
      date,
      budgetKb: BUDGET_KB,
      firstPageJsGzipBytes: totalJs,
      firstPageCssGzipBytes: totalCss,
      pass,
      firstPage: assets,
      lazy: lazy.map(({ file, bytes, gzipBytes }) => ({ file, bytes, gzipBytes })),
    },
    null,
    2,
  )}\n`,
);
console.log(`results: ${path.relative(ROOT, out)}`);
if (!pass) process.exitCode = 1;
