import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../config.js';
import { ERROR_CODES, type ErrorCode } from '../../errors.js';
import { call } from '../../test/factories.js';
import { createTestApp, DIALECTS, type TestContext } from '../../test/harness.js';

const DOCS = new URL('../../../../../docs/', import.meta.url);
const GUIDES = ['getting-started.md', 'ingestion.md', 'self-hosting.md'];

function read(name: string): string {
  return fs.readFileSync(new URL(name, DOCS), 'utf8');
}

/** The lines of a section, from its `## title` to the next heading of that level. */
function section(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, `section "${title}"`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** The cells of each body row of the tables in `lines`. */
function tableRows(lines: readonly string[]): string[][] {
  return lines
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    )
    .slice(1);
}

describe('docs/self-hosting.md', () => {
  it('lists every environment variable the server reads, in order, with its default', () => {
    const rows = tableRows(section(read('self-hosting.md'), 'Configuration'));
    expect(rows.map(([name]) => name)).toEqual(Object.keys(ENV_VARS).map((name) => `\`${name}\``));
    for (const [name = '', shown = '', meaning = ''] of rows) {
      const variable = ENV_VARS[name.replaceAll('`', '') as keyof typeof ENV_VARS];
      // An empty default is computed from other variables (the table says from which) or none.
      if (variable.default === '') expect(shown, name).toMatch(/^`\S+`$|^none$/);
      else expect(shown, name).toBe(`\`${variable.default}\``);
      expect(meaning.length, name).toBeGreaterThan(20);
    }
  });
});

describe('the guides', () => {
  it('link to files that exist', () => {
    for (const guide of GUIDES) {
      const links = [...read(guide).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)]
        .map((m) => m[1] ?? '')
        .filter((target) => !/^[a-z]+:/.test(target));
      expect(links.length, guide).toBeGreaterThan(0);
      for (const target of links) {
        expect(fs.existsSync(fileURLToPath(new URL(target, DOCS))), `${guide} → ${target}`).toBe(
          true,
        );
      }
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`docs/ingestion.md [${dialect}]`, () => {
    let ctx: TestContext;
    let codes: Record<string, Record<string, string[]>>;
    let perEvent: string[];
    beforeAll(async () => {
      ctx = await createTestApp(dialect);
      const doc = (await call(ctx.app, 'GET', '/api/openapi.json')).json();
      codes = {
        single: doc.paths['/event/v1/{metric}'].post['x-error-codes'],
        batch: doc.paths['/event/v1/batch'].post['x-error-codes'],
      };
      perEvent =
        doc.paths['/event/v1/batch'].post.responses['200'].content['application/json'].schema
          .properties.results.items.properties.code.enum;
    });
    afterAll(() => ctx.close());

    it('lists every status and code of the ingestion routes, as the API reference does', () => {
      const rows = tableRows(section(read('ingestion.md'), 'Error codes'));
      const documented = rows.map(([status = '', code = '']) => `${status} ${code}`).sort();
      const answered = new Set(['404 `ROUTE_NOT_FOUND`', '405 `METHOD_NOT_ALLOWED`']);
      for (const byStatus of Object.values(codes)) {
        for (const [status, list] of Object.entries(byStatus)) {
          for (const code of list) answered.add(`${status} \`${code}\``);
        }
      }
      expect(documented).toEqual([...answered].sort());
      for (const [status = '', code = '', route = '', when = ''] of rows) {
        expect(ERROR_CODES[code.replaceAll('`', '') as ErrorCode]?.status, code).toBe(
          Number(status),
        );
        expect(route, code).toMatch(/^(single|batch|both|—)(; batch results)?$/);
        expect(when.length, code).toBeGreaterThan(20);
      }
    });

    it('says which codes a batch reports per event, as the API reference does', () => {
      const rows = tableRows(section(read('ingestion.md'), 'Error codes'));
      const marked = rows
        .filter(([, , route]) => route?.endsWith('batch results'))
        .map(([, code = '']) => code.replaceAll('`', ''));
      expect(marked.sort()).toEqual([...perEvent].sort());
      const paragraph = section(read('ingestion.md'), 'Error codes').join(' ');
      for (const code of perEvent) expect(paragraph).toContain(`\`${code}\``);
    });

    it('lists the successful answers', () => {
      const rows = tableRows(section(read('ingestion.md'), 'Answers'));
      expect(new Set(rows.map(([status]) => status))).toEqual(new Set(['200', '204']));
    });
  });
}
