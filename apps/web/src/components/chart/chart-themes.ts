import type { MantineTheme } from '@mantine/core';

const SERIES_COLORS = ['indigo', 'teal', 'orange', 'grape', 'cyan', 'pink', 'lime', 'yellow'];

/** An ECharts theme drawn from the Mantine theme, so charts match the page in light and dark. */
export function chartTheme(theme: MantineTheme, scheme: 'light' | 'dark'): object {
  const c = theme.colors;
  const dark = scheme === 'dark';
  const text = dark ? c.dark[1] : c.gray[7];
  const muted = dark ? c.dark[2] : c.gray[6];
  const axisLine = dark ? c.dark[4] : c.gray[3];
  const splitLine = dark ? c.dark[5] : c.gray[2];
  const axis = {
    axisLine: { lineStyle: { color: axisLine } },
    axisTick: { lineStyle: { color: axisLine } },
    axisLabel: { color: muted },
    splitLine: { lineStyle: { color: splitLine } },
  };
  return {
    color: SERIES_COLORS.map((name) => c[name]?.[dark ? 5 : 6] ?? c.indigo[6]),
    backgroundColor: 'transparent',
    textStyle: { color: text, fontFamily: theme.fontFamily },
    legend: { textStyle: { color: text } },
    categoryAxis: axis,
    valueAxis: axis,
    timeAxis: axis,
    logAxis: axis,
    tooltip: {
      backgroundColor: dark ? c.dark[7] : theme.white,
      borderColor: dark ? c.dark[4] : c.gray[3],
      textStyle: { color: dark ? c.dark[0] : c.gray[9] },
      extraCssText: 'box-shadow: var(--mantine-shadow-md); border-radius: 8px;',
    },
  };
}
