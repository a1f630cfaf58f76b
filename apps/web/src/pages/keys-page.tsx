import { IconKey } from '@tabler/icons-react';
import { EmptyState } from '../components/empty-state';
import { PageHeader } from '../components/page-header';
import { useCurrentProject } from '../layout/project-layout';

/** Placeholder: listing, creating, rotating and revoking keys come next. */
export function KeysPage() {
  const project = useCurrentProject();
  return (
    <>
      <PageHeader
        title="API keys"
        documentTitle={`API keys · ${project.name}`}
        description={`Keys your code uses to send events to ${project.name}, or to read its metrics.`}
      />
      <EmptyState
        icon={<IconKey size={28} stroke={1.5} />}
        title="No keys to show yet"
        description="The project's API keys will be listed here."
      />
    </>
  );
}
