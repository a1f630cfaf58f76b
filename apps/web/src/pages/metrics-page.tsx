import { IconChartLine } from '@tabler/icons-react';
import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';
import { useCurrentProject } from '../layout/project-layout';

/** Placeholder: the metric list, charts and metric creation come next. */
export function MetricsPage() {
  const project = useCurrentProject();
  return (
    <>
      <PageHeader
        title="Metrics"
        documentTitle={`Metrics · ${project.name}`}
        description={`What your code sends to ${project.name}.`}
      />
      <EmptyState
        icon={<IconChartLine size={28} stroke={1.5} />}
        title="No metrics to show yet"
        description="Your metrics, their totals and their charts will appear here."
      />
    </>
  );
}
