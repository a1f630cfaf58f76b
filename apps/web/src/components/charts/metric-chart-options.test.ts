import { describe, expect, it } from 'vitest';
import type { SeriesResponse } from '../../api/types';
import { axisLabel, formatPeriod, fullLabel } from './bucket-labels';
import {
  type ChartPalette,
  escapeHtml,
  eventsChartOption,
  hasEvents,
  sparklineOption,
  trendChartOption,
} from './metric-chart-options';

const palette: ChartPalette = {
  primary: 'blue',
  positive: 'green',
  negative: 'red',
  net: 'black',
  previous: 'gray',
  muted: 'gray',
};

function series(
  type: 'basic' | 'dual' | 'average',
  buckets: SeriesResponse['buckets'],
  extra: Partial<SeriesResponse> = {},
): SeriesResponse {
  return {
    metric: { id: 'm', name: 'x', type, unit: null, positiveName: null, negativeName: null },
    from: '2026-11-26T00:00:00.000Z',
    to: '2026-11-28T00:00:00.000Z',
    granularity: 'day',
    tz: 'UTC',
    filters: {},
    buckets,
    summary: {} as SeriesResponse['summary'],
    previousBuckets: [],
    ...extra,
  };
}

type AnySeries = { type: string; name?: string; data: unknown[]; stack?: string };
const seriesOf = (option: ReturnType<typeof eventsChartOption>) =>
  option.series as unknown as AnySeries[];

describe('eventsChartOption', () => {
  it('draws a basic metric as bars of its sums, with bucket labels in the zone', () => {
    const option = eventsChartOption(
      series('basic', [
        { start: '2026-11-26T00:00:00.000Z', sum: 3, count: 3, cumulative: 3 },
        { start: '2026-11-27T00:00:00.000Z', sum: 0, count: 0, cumulative: 3 },
      ]),
      palette,
    );
    expect(seriesOf(option)).toHaveLength(1);
    expect(seriesOf(option)[0]).toMatchObject({ type: 'bar', data: [3, 0] });
    expect((option.xAxis as { data: string[] }).data).toEqual(['Nov 26', 'Nov 27']);
  });

  it('stacks both sides of a dual metric around zero, with the net as a line', () => {
    const option = eventsChartOption(
      {
        ...series('dual', [
          {
            start: '2026-11-26T00:00:00.000Z',
            positive: 10,
            negative: 4,
            net: 6,
            count: 3,
            cumulative: 6,
          },
        ]),
        metric: {
          id: 'm',
          name: 'revenue',
          type: 'dual',
          unit: null,
          positiveName: 'sales',
          negativeName: 'refunds',
        },
      },
      palette,
    );
    const [positive, negative, net] = seriesOf(option);
    expect(positive).toMatchObject({ type: 'bar', name: 'sales', stack: 'sides', data: [10] });
    expect(negative).toMatchObject({ type: 'bar', name: 'refunds', stack: 'sides', data: [-4] });
    expect(net).toMatchObject({ type: 'line', name: 'Net', data: [6] });
  });

  it('draws the mean of an average metric, gaps for empty buckets', () => {
    const option = eventsChartOption(
      series('average', [
        { start: '2026-11-26T00:00:00.000Z', mean: 12.5, sum: 25, count: 2, cumulative: 12.5 },
        { start: '2026-11-27T00:00:00.000Z', mean: null, sum: 0, count: 0, cumulative: 12.5 },
        { start: '2026-11-28T00:00:00.000Z', mean: 10, sum: 10, count: 1, cumulative: 11.67 },
      ]),
      palette,
    );
    expect(seriesOf(option)[0]).toMatchObject({ type: 'line', data: [12.5, null, 10] });
  });

  it('adds the previous period as a faint line, bucket by bucket', () => {
    const option = eventsChartOption(
      series('basic', [{ start: '2026-11-26T00:00:00.000Z', sum: 3, count: 3, cumulative: 3 }], {
        previousBuckets: [{ start: '2026-11-25T00:00:00.000Z', sum: 7, count: 7 }],
      }),
      palette,
    );
    const previous = seriesOf(option)[1];
    expect(previous).toMatchObject({ type: 'line', name: 'Previous period', data: [7] });
  });
});

describe('trendChartOption', () => {
  it('draws the running total and stops at now', () => {
    const option = trendChartOption(
      series('basic', [
        { start: '2026-11-25T00:00:00.000Z', sum: 0, count: 0, cumulative: 100 },
        { start: '2026-11-26T00:00:00.000Z', sum: 3, count: 3, cumulative: 103 },
        { start: '2026-11-27T00:00:00.000Z', sum: 0, count: 0, cumulative: 103 },
      ]),
      palette,
      Date.parse('2026-11-26T12:00:00Z'),
    );
    expect((option.series as unknown as AnySeries[])[0]?.data).toEqual([100, 103, null]);
  });

  it('gives a lone bucket a symbol, which a line through one point would not draw', () => {
    const option = trendChartOption(
      series('basic', [{ start: '2026-11-01T00:00:00.000Z', sum: 15, count: 3, cumulative: 15 }]),
      palette,
      Date.parse('2026-11-26T12:00:00Z'),
    );
    expect((option.series as unknown as AnySeries[])[0]?.data).toEqual([
      { value: 15, symbol: 'circle', symbolSize: 12 },
    ]);
  });
});

describe('lone points', () => {
  it('marks the only mean of an average metric, even past 40 buckets', () => {
    const buckets = Array.from({ length: 60 }, (_, i) => ({
      start: new Date(Date.UTC(2026, 10, 26, 0, i)).toISOString(),
      mean: i === 30 ? 66.8 : null,
      sum: i === 30 ? 66.8 : 0,
      count: i === 30 ? 1 : 0,
      cumulative: 66.8,
    }));
    const [line] = seriesOf(eventsChartOption(series('average', buckets), palette));
    expect(line).toMatchObject({ showSymbol: true });
    expect(line?.data[30]).toEqual({ value: 66.8, symbol: 'circle', symbolSize: 12 });
    expect(line?.data[29]).toBeNull();
  });
});

describe('helpers', () => {
  it('tells whether a window has events', () => {
    expect(hasEvents(series('basic', [{ start: 'x', sum: 0, count: 0, cumulative: null }]))).toBe(
      false,
    );
  });

  it('escapes names going into tooltip HTML', () => {
    expect(escapeHtml('<b>"a" & \'b\'</b>')).toBe(
      '&lt;b&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/b&gt;',
    );
  });

  it('builds a bare sparkline', () => {
    const option = sparklineOption([1, null, 3], 'blue');
    expect((option.series as unknown as AnySeries[])[0]?.data).toEqual([1, null, 3]);
    expect(option.animation).toBe(false);
  });
});

describe('bucket labels', () => {
  it('labels buckets in the chosen zone', () => {
    const iso = '2026-11-27T23:00:00.000Z';
    expect(axisLabel(iso, 'day', 'Europe/Paris', true)).toBe('Nov 28');
    expect(axisLabel(iso, 'hour', 'Europe/Paris', false)).toBe('00:00');
    expect(axisLabel(iso, 'hour', 'UTC', true)).toBe('Nov 27 23:00');
    expect(axisLabel(iso, 'month', 'Europe/Paris', true)).toBe('Nov 2026');
    expect(fullLabel(iso, 'week', 'Europe/Paris')).toBe('Week of Nov 28, 2026');
  });

  it('says a window with an exclusive end', () => {
    expect(formatPeriod('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z', 'UTC')).toBe(
      'Nov 1 – Nov 30, 2026',
    );
    expect(formatPeriod('2026-11-28T00:00:00Z', '2026-11-29T00:00:00Z', 'UTC')).toBe(
      'Nov 28, 2026',
    );
    expect(formatPeriod('2025-12-01T00:00:00Z', '2026-12-01T00:00:00Z', 'UTC')).toBe(
      'Dec 1, 2025 – Nov 30, 2026',
    );
  });
});
