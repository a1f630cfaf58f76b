/** The UTC month of an instant, `YYYY-MM`: the key of monthly usage and quotas. */
export function utcMonth(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}
