import type { ApiKey } from './keys.schemas.js';

const attribute = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/** The tag a site puts on its pages for the website tracker. */
export function trackerSnippet(scriptUrl: string, publishableKey: string): string {
  return `<script defer src="${attribute(scriptUrl)}" data-key="${attribute(publishableKey)}"></script>`;
}

/** A public key with its snippet; any other key as it is. */
export function withSnippet<K extends ApiKey>(key: K, scriptUrl: string): K {
  if (key.publishableKey === undefined) return key;
  return { ...key, snippet: trackerSnippet(scriptUrl, key.publishableKey) };
}
