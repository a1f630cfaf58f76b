import type { QueryClient } from '@tanstack/react-query';
import type { createBrowserRouter } from 'react-router';
import { setUnauthenticatedHandler } from './api/client';
import { isPublicPath, signInPath } from './lib/auth-paths';
import { queryKeys } from './queries/query-keys';

type Router = ReturnType<typeof createBrowserRouter>;

/**
 * A 401 UNAUTHENTICATED from any request means the session is gone (never started, signed out
 * elsewhere, expired): go to the sign-in page, which comes back here afterwards, and forget
 * everything cached for the previous session.
 */
export function handleLostSession(router: Router, queryClient: QueryClient): void {
  setUnauthenticatedHandler(() => {
    const { pathname, search, hash } = router.state.location;
    if (isPublicPath(pathname)) return;
    const hadSession = queryClient.getQueryData(queryKeys.me) !== undefined;
    void router
      .navigate(signInPath(`${pathname}${search}${hash}`, hadSession ? 'expired' : undefined), {
        replace: true,
      })
      .then(() => queryClient.clear());
  });
}
