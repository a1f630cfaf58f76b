import { Anchor, Box, Paper } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import { Link } from 'react-router';
import { NewProjectWizard } from '../components/new-project-wizard';
import { PageHeader } from '../components/page-header';

export function NewProjectPage() {
  return (
    <Box maw={640} mx="auto">
      <PageHeader
        above={
          <Anchor component={Link} to="/" size="sm" c="dimmed">
            <IconArrowLeft size={14} style={{ verticalAlign: -2, marginRight: 4 }} />
            Projects
          </Anchor>
        }
        title="New project"
        description="A project holds metrics, the API keys that send them, and its members."
      />
      <Paper withBorder p={{ base: 'md', sm: 'xl' }}>
        <NewProjectWizard />
      </Paper>
    </Box>
  );
}
