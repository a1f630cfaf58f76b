import type { ComponentType } from 'react';
import { Navigate, type RouteObject } from 'react-router';
import { PageLoader } from './components/page-loader';
import { AppLayout } from './layout/app-layout';
import { AuthLayout } from './layout/auth-layout';
import { ProjectLayout } from './layout/project-layout';
import { RequireAuth } from './layout/require-auth';
import { RouteError } from './layout/route-error';
import { ForgotPasswordPage } from './pages/forgot-password-page';
import { NewProjectPage } from './pages/new-project-page';
import { NotFoundPage } from './pages/not-found-page';
import { ProjectsPage } from './pages/projects-page';
import { ResetPasswordPage } from './pages/reset-password-page';
import { SignInPage } from './pages/sign-in-page';
import { SignUpPage } from './pages/sign-up-page';

/**
 * A page whose code loads when it is first visited: `lazyPage(() => import('./pages/x'), 'X')`.
 * Pages inside a project load this way, so the first page stays small.
 */
function lazyPage<Name extends string>(
  load: () => Promise<Record<Name, ComponentType>>,
  name: Name,
): RouteObject['lazy'] {
  return async () => ({ Component: (await load())[name] });
}

export const routes: RouteObject[] = [
  {
    errorElement: <RouteError />,
    hydrateFallbackElement: <PageLoader fullScreen />,
    children: [
      {
        element: <AuthLayout />,
        children: [
          { path: 'sign-in', element: <SignInPage /> },
          { path: 'sign-up', element: <SignUpPage /> },
          { path: 'forgot-password', element: <ForgotPasswordPage /> },
          { path: 'reset-password', element: <ResetPasswordPage /> },
          // Signed in or out: an invitation link (queries/invitations.ts).
          { path: 'invite', lazy: lazyPage(() => import('./pages/invite-page'), 'InvitePage') },
        ],
      },
      {
        element: <RequireAuth />,
        children: [
          {
            element: <AppLayout />,
            children: [
              { index: true, element: <ProjectsPage /> },
              { path: 'projects/new', element: <NewProjectPage /> },
              {
                path: 'account',
                lazy: lazyPage(() => import('./pages/account-page'), 'AccountPage'),
              },
              {
                path: 'projects/:projectId',
                element: <ProjectLayout />,
                children: [
                  { index: true, element: <Navigate to="metrics" replace /> },
                  {
                    path: 'metrics',
                    lazy: lazyPage(() => import('./pages/metrics-page'), 'MetricsPage'),
                  },
                  {
                    path: 'metrics/:metricId',
                    lazy: lazyPage(() => import('./pages/metric-page'), 'MetricPage'),
                  },
                  {
                    path: 'keys',
                    lazy: lazyPage(() => import('./pages/keys-page'), 'KeysPage'),
                  },
                  {
                    path: 'settings',
                    lazy: lazyPage(
                      () => import('./pages/project-settings-page'),
                      'ProjectSettingsPage',
                    ),
                  },
                ],
              },
            ],
          },
        ],
      },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];
