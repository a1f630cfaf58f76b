import {
  ActionIcon,
  Button,
  Card,
  type CSSVariablesResolver,
  createTheme,
  localStorageColorSchemeManager,
  Menu,
  Modal,
  Notification,
  Paper,
  Tooltip,
} from '@mantine/core';

/** Mantine's close buttons are an icon only: screen readers need their name. */
const closeButtonProps = { 'aria-label': 'Close' };

/** Where the light/dark/auto choice is kept; index.html reads the same key before first paint. */
export const COLOR_SCHEME_KEY = 'measurely-color-scheme';
export const colorSchemeManager = localStorageColorSchemeManager({ key: COLOR_SCHEME_KEY });

export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 7 keeps white text on filled buttons above 4.5:1 (WCAG AA) in both schemes.
  primaryShade: { light: 7, dark: 7 },
  defaultRadius: 'md',
  cursorType: 'pointer',
  headings: { fontWeight: '650' },
  components: {
    ActionIcon: ActionIcon.extend({ defaultProps: { variant: 'subtle', color: 'gray' } }),
    Button: Button.extend({ defaultProps: { radius: 'md' } }),
    Card: Card.extend({ defaultProps: { withBorder: true, padding: 'lg', radius: 'md' } }),
    Menu: Menu.extend({ defaultProps: { shadow: 'md', radius: 'md', width: 240 } }),
    Modal: Modal.extend({ defaultProps: { centered: true, radius: 'md', closeButtonProps } }),
    // Also the notifications of @mantine/notifications, which are Notification components.
    Notification: Notification.extend({
      defaultProps: { closeButtonProps },
      // Under a title, Mantine greys the message to 3.3:1 (light) and 3.9:1 (dark): too faint.
      styles: { description: { color: 'var(--mantine-color-dimmed)' } },
    }),
    Paper: Paper.extend({ defaultProps: { radius: 'md' } }),
    Tooltip: Tooltip.extend({ defaultProps: { withArrow: true, openDelay: 300 } }),
  },
});

/**
 * Text colours that pass WCAG AA contrast: dimmed text, links, and the text of light badges and
 * avatars (Mantine's defaults for these sit between 3.3:1 and 4.3:1).
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => {
  const light: Record<string, string> = {
    '--mantine-color-dimmed': resolved.colors.gray[7] ?? '',
    '--mantine-color-anchor': resolved.colors.indigo[8] ?? '',
  };
  const dark: Record<string, string> = {
    '--mantine-color-dimmed': resolved.colors.dark[1] ?? '',
    '--mantine-color-anchor': resolved.colors.indigo[3] ?? '',
  };
  for (const [name, shades] of Object.entries(resolved.colors)) {
    for (const kind of ['light-color', 'text', 'outline']) {
      light[`--mantine-color-${name}-${kind}`] = shades[9] ?? '';
      dark[`--mantine-color-${name}-${kind}`] = shades[2] ?? '';
    }
    // White text on a filled button of a bright colour (red, orange, teal…) needs its dark shade.
    if (name !== resolved.primaryColor && name !== 'dark' && name !== 'gray') {
      light[`--mantine-color-${name}-filled`] = shades[9] ?? '';
      dark[`--mantine-color-${name}-filled`] = shades[9] ?? '';
    }
  }
  return { variables: {}, light, dark };
};
