export interface SnippetInput {
  /** The server's base URL, e.g. window.location.origin. */
  baseUrl: string;
  /** The metric's name (or id), as it goes in the URL. */
  metric: string;
  /** An ingest key, or a placeholder. */
  secret: string;
  /** A sensible first value for the metric's type. */
  value: number;
}

export const SNIPPET_LANGUAGES = ['curl', 'javascript', 'go', 'python'] as const;
export type SnippetLanguage = (typeof SNIPPET_LANGUAGES)[number];

export const SNIPPET_LABELS: Record<SnippetLanguage, string> = {
  curl: 'curl',
  javascript: 'JavaScript',
  go: 'Go',
  python: 'Python',
};

/** The URL of POST /event/v1/{metric}. */
export function eventUrl(baseUrl: string, metric: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/event/v1/${encodeURIComponent(metric)}`;
}

/** Double-quoted string literal that Go, Python and JavaScript all read the same way. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

/** Code sending one event to a metric, in each language. */
export function buildSnippets(input: SnippetInput): Record<SnippetLanguage, string> {
  const url = eventUrl(input.baseUrl, input.metric);
  const body = JSON.stringify({ value: input.value });
  const shellBody = body.replace(/'/g, `'\\''`);
  return {
    curl: [
      `curl -X POST '${url.replace(/'/g, `'\\''`)}' \\`,
      `  -H 'Authorization: Bearer ${input.secret}' \\`,
      `  -H 'Content-Type: application/json' \\`,
      `  -d '${shellBody}'`,
    ].join('\n'),
    javascript: [
      `await fetch(${quoted(url)}, {`,
      `  method: 'POST',`,
      `  headers: {`,
      `    Authorization: ${quoted(`Bearer ${input.secret}`)},`,
      `    'Content-Type': 'application/json',`,
      `  },`,
      `  body: JSON.stringify({ value: ${input.value} }),`,
      `});`,
    ].join('\n'),
    go: [
      `body := strings.NewReader(${quoted(body)})`,
      `req, _ := http.NewRequest("POST", ${quoted(url)}, body)`,
      `req.Header.Set("Authorization", ${quoted(`Bearer ${input.secret}`)})`,
      `req.Header.Set("Content-Type", "application/json")`,
      `res, err := http.DefaultClient.Do(req)`,
      `if err != nil {`,
      `\tlog.Fatal(err)`,
      `}`,
      `defer res.Body.Close()`,
    ].join('\n'),
    python: [
      `import requests`,
      ``,
      `requests.post(`,
      `    ${quoted(url)},`,
      `    headers={"Authorization": ${quoted(`Bearer ${input.secret}`)}},`,
      `    json={"value": ${input.value}},`,
      `).raise_for_status()`,
    ].join('\n'),
  };
}
