import { describe, expect, it } from 'vitest';
import { buildSnippets, eventUrl } from './snippets';

describe('buildSnippets', () => {
  const snippets = buildSnippets({
    baseUrl: 'https://metrics.example.com/',
    metric: 'response time',
    secret: 'mly_abc',
    value: 42,
  });

  it('posts to the metric URL, encoded, with the key and the value', () => {
    expect(eventUrl('https://m.example.com/', 'a b')).toBe('https://m.example.com/event/v1/a%20b');
    for (const code of Object.values(snippets)) {
      expect(code).toContain('https://metrics.example.com/event/v1/response%20time');
      expect(code).toContain('Bearer mly_abc');
      expect(code).toContain('42');
    }
  });

  it('writes valid curl quoting', () => {
    expect(snippets.curl).toBe(
      [
        "curl -X POST 'https://metrics.example.com/event/v1/response%20time' \\",
        "  -H 'Authorization: Bearer mly_abc' \\",
        "  -H 'Content-Type: application/json' \\",
        `  -d '{"value":42}'`,
      ].join('\n'),
    );
  });

  it('escapes the JSON body in Go', () => {
    expect(snippets.go).toContain('strings.NewReader("{\\"value\\":42}")');
  });
});
