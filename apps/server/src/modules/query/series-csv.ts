/** A series' buckets as CSV: one row per bucket, the columns its metric type has. */
export function seriesCsv(series: {
  metric: { type: string };
  buckets: ReadonlyArray<Record<string, unknown>>;
}): string {
  const columns =
    series.metric.type === 'dual'
      ? ['positive', 'negative', 'net', 'count']
      : series.metric.type === 'average'
        ? ['mean', 'sum', 'count']
        : ['sum', 'count'];
  const header = ['start', ...columns, 'cumulative'];
  const lines = [header.join(',')];
  for (const bucket of series.buckets) {
    lines.push(header.map((column) => cell(bucket[column])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value);
}
