import { Center, Container } from '@mantine/core';
import { Outlet } from 'react-router';
import { isApiError } from '../api/client';
import { ErrorAlert } from '../components/error-alert';
import { PageLoader } from '../components/page-loader';
import { useMe } from '../queries/auth';

/**
 * Renders its routes for a signed-in user only. Without a session the API answers 401, and the
 * lost-session handler (session.ts) goes to the sign-in page, which comes back here.
 */
export function RequireAuth() {
  const me = useMe();
  if (me.data !== undefined) return <Outlet />;
  if (me.isPending || isApiError(me.error, 'UNAUTHENTICATED')) return <PageLoader fullScreen />;
  return (
    <Center mih="100dvh" p="md">
      <Container size={480} w="100%">
        <ErrorAlert error={me.error} onRetry={() => void me.refetch()} />
      </Container>
    </Center>
  );
}
