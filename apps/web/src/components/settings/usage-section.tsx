import { Code, Group, Progress, SimpleGrid, Stack, Text } from '@mantine/core';
import type { Project } from '../../api/types';
import { formatNumber, plural } from '../../lib/format';
import { SectionCard } from '../section-card';

const monthFormat = new Intl.DateTimeFormat('en-US', {
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/** "2026-11" → "November 2026". */
function formatMonth(month: string): string {
  const date = new Date(`${month}-01T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? month : monthFormat.format(date);
}

function Limit({ label, value, hint }: { label: string; value: string; hint: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={500}>
        {label}
      </Text>
      <Text fz="lg" fw={650} lh={1.4}>
        {value}
      </Text>
      <Text size="xs" c="dimmed">
        {hint}
      </Text>
    </div>
  );
}

/** Events used this month against the quota, and the other limits, read-only. */
export function UsageSection({ project }: { project: Project }) {
  const { events, quota, month } = project.usage;
  const { rateLimitPerSecond, maxQueryRangeDays } = project.limits;
  const share = quota === null || quota === 0 ? null : (events / quota) * 100;
  const color =
    share === null ? undefined : share >= 100 ? 'red' : share >= 90 ? 'orange' : undefined;

  return (
    <SectionCard
      title="Usage and limits"
      description={
        <>
          Limits are set by the operator of this instance with{' '}
          <Code fz="xs">measurely project limits</Code>: ask them if you need more.
        </>
      }
    >
      <Stack gap={6}>
        <Group justify="space-between" align="baseline" gap="xs">
          <Text size="sm" fw={600}>
            Events in {formatMonth(month)}
          </Text>
          <Text size="sm" c="dimmed">
            {share === null ? 'no monthly quota' : `${formatNumber(share, { maxDecimals: 1 })}%`}
          </Text>
        </Group>
        <Text fz="xl" fw={650} lh={1.3}>
          {formatNumber(events)}
          <Text span size="sm" c="dimmed" fw={400}>
            {quota === null ? ' events · unlimited' : ` of ${plural(quota, 'event')}`}
          </Text>
        </Text>
        {share !== null && (
          <Progress
            value={Math.min(100, share)}
            color={color}
            size="md"
            aria-label="Share of the monthly quota used"
          />
        )}
        <Text size="xs" c="dimmed">
          {share !== null && share >= 100
            ? 'The quota is reached: events are refused until the month ends (UTC).'
            : 'Counted per calendar month in UTC; the count starts again on the 1st.'}
        </Text>
      </Stack>
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="md">
        <Limit
          label="Monthly quota"
          value={quota === null ? 'Unlimited' : plural(quota, 'event')}
          hint="Events accepted per month"
        />
        <Limit
          label="Rate limit"
          value={`${formatNumber(rateLimitPerSecond)} / s`}
          hint="Events per second, per API key"
        />
        <Limit
          label="Longest query range"
          value={maxQueryRangeDays === null ? 'Unlimited' : plural(maxQueryRangeDays, 'day')}
          hint="Span of a chart or an export"
        />
      </SimpleGrid>
    </SectionCard>
  );
}
