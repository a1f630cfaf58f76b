import {
  ActionIcon,
  Button,
  Card,
  createTheme,
  localStorageColorSchemeManager,
  Menu,
  Modal,
  Paper,
  Tooltip,
} from '@mantine/core';

/** Where the light/dark/auto choice is kept; index.html reads the same key before first paint. */
export const COLOR_SCHEME_KEY = 'measurely-color-scheme';
export const colorSchemeManager = localStorageColorSchemeManager({ key: COLOR_SCHEME_KEY });

export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 6, dark: 5 },
  defaultRadius: 'md',
  cursorType: 'pointer',
  headings: { fontWeight: '650' },
  components: {
    ActionIcon: ActionIcon.extend({ defaultProps: { variant: 'subtle', color: 'gray' } }),
    Button: Button.extend({ defaultProps: { radius: 'md' } }),
    Card: Card.extend({ defaultProps: { withBorder: true, padding: 'lg', radius: 'md' } }),
    Menu: Menu.extend({ defaultProps: { shadow: 'md', radius: 'md', width: 240 } }),
    Modal: Modal.extend({ defaultProps: { centered: true, radius: 'md' } }),
    Paper: Paper.extend({ defaultProps: { radius: 'md' } }),
    Tooltip: Tooltip.extend({ defaultProps: { withArrow: true, openDelay: 300 } }),
  },
});
