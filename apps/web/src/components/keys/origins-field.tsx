import { Textarea, type TextareaProps } from '@mantine/core';

/** The origins typed in a textarea, one per line (commas and spaces separate too). */
export function parseOrigins(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
}

/** Client-side check: the server normalises and has the last word (ORIGIN_INVALID). */
export function validateOrigins(text: string): string | null {
  const origins = parseOrigins(text);
  if (origins.length === 0) return 'Add the site the tracker runs on, e.g. https://example.com';
  const bad = origins.find((origin) => !/^https?:\/\/[^/?#\s]+\/?$/i.test(origin));
  return bad === undefined ? null : `${bad}: write scheme://host[:port], without a path`;
}

/** Where a public key is accepted from: one origin per line. */
export function OriginsField(props: Omit<TextareaProps, 'label' | 'description'>) {
  return (
    <Textarea
      label="Allowed origins"
      description="One per line: the sites whose pages may send page views, e.g. https://example.com. https://*.example.com allows its subdomains."
      placeholder={'https://example.com\nhttps://*.example.com'}
      autosize
      minRows={2}
      maxRows={6}
      spellCheck={false}
      autoCapitalize="off"
      {...props}
    />
  );
}
