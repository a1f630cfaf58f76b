// The dashboard's main pages, each opened as a user would reach it and waited for until its
// content (not a loader) shows. Shared by the accessibility and phone-layout tests.
import type { E2E } from './harness.js';
import { makeInvitation, makeTenant, sendEvent, uniqueEmail } from './harness.js';

export interface Tenant {
  email: string;
  projectId: string;
  apiKey: string;
}

export interface MainPage {
  name: string;
  signedIn: boolean;
  open(e2e: E2E, tenant: Tenant): Promise<void>;
}

/** A signed-in user whose project has a metric with a few events, so pages have content. */
export async function makeFilledTenant(e2e: E2E, tag: string): Promise<Tenant> {
  const tenant = await makeTenant(e2e, tag, [{ name: 'signups', type: 'basic' }]);
  for (const plan of ['pro', 'free', 'pro']) {
    await sendEvent(e2e.baseUrl, tenant.apiKey, 'signups', { value: 1, filters: { plan } });
  }
  return tenant;
}

async function heading(e2e: E2E, name: string): Promise<void> {
  await e2e.page.getByRole('heading', { name, exact: true }).first().waitFor();
}

export const MAIN_PAGES: MainPage[] = [
  {
    name: 'sign-in',
    signedIn: false,
    open: async (e2e) => {
      await e2e.page.goto(e2e.url('/sign-in'));
      await heading(e2e, 'Sign in');
    },
  },
  {
    name: 'sign-up',
    signedIn: false,
    open: async (e2e) => {
      await e2e.page.goto(e2e.url('/sign-up'));
      await heading(e2e, 'Create your account');
    },
  },
  {
    // An invitation link opened signed out by an address without an account: the fullest form.
    name: 'invite',
    signedIn: false,
    open: async (e2e, tenant) => {
      const link = await makeInvitation(e2e, tenant, uniqueEmail('invitee'), 'developer');
      await e2e.page.goto(link);
      await e2e.page.getByRole('heading', { name: /^Join Acme / }).waitFor();
      await e2e.page.getByRole('button', { name: 'Create your account and join' }).waitFor();
    },
  },
  {
    name: 'projects',
    signedIn: true,
    open: async (e2e) => {
      await e2e.page.goto(e2e.url('/'));
      await heading(e2e, 'Projects');
      await e2e.page
        .getByRole('link', { name: /Acme/ })
        .filter({ visible: true })
        .first()
        .waitFor();
    },
  },
  {
    name: 'metrics list',
    signedIn: true,
    open: async (e2e, tenant) => {
      await e2e.page.goto(e2e.url(`/projects/${tenant.projectId}/metrics`));
      await heading(e2e, 'Metrics');
      await e2e.page
        .getByRole('link', { name: /signups/ })
        .filter({ visible: true })
        .first()
        .waitFor();
    },
  },
  {
    name: 'metric page',
    signedIn: true,
    open: async (e2e, tenant) => {
      await e2e.page.goto(e2e.url(`/projects/${tenant.projectId}/metrics`));
      await e2e.page
        .getByRole('link', { name: /signups/ })
        .filter({ visible: true })
        .first()
        .click();
      await e2e.page.getByRole('heading', { name: /^signups/ }).waitFor();
      // ECharts replaces the chart's label with "This is a chart…" (see journey.e2e.ts).
      await e2e.page
        .getByRole('img', { name: /^signups per |^This is a chart/ })
        .first()
        .waitFor();
    },
  },
  {
    name: 'keys',
    signedIn: true,
    open: async (e2e, tenant) => {
      await e2e.page.goto(e2e.url(`/projects/${tenant.projectId}/keys`));
      await heading(e2e, 'API keys');
      await e2e.page.getByText('Default ingest key').filter({ visible: true }).first().waitFor();
    },
  },
  {
    name: 'settings',
    signedIn: true,
    open: async (e2e, tenant) => {
      await e2e.page.goto(e2e.url(`/projects/${tenant.projectId}/settings`));
      await heading(e2e, 'Settings');
      await e2e.page.getByLabel('Project name').waitFor();
    },
  },
  {
    name: 'account',
    signedIn: true,
    open: async (e2e) => {
      await e2e.page.goto(e2e.url('/account'));
      await heading(e2e, 'Account');
      await e2e.page.getByRole('heading', { name: 'Password' }).waitFor();
    },
  },
];
