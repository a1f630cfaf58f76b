import { useDocumentTitle } from '@mantine/hooks';

/** The browser tab's title: "Settings · Measurely". */
export function usePageTitle(title: string | undefined): void {
  useDocumentTitle(title === undefined || title === '' ? 'Measurely' : `${title} · Measurely`);
}
