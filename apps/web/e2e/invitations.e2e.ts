// Invitations through the UI: an owner invites an address from the settings page and reads the
// link there; the invited person opens it in a browser of their own and joins, with a new account
// or by signing in; a withdrawn link says it no longer works.
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import {
  browserPerFile,
  horizontalOverflow,
  makeInvitation,
  makeTenant,
  PASSWORD,
  PATIENCE,
  PHONE,
  SCREENSHOT_DIR,
  seriousA11yViolations,
  settle,
  uniqueEmail,
} from './harness.js';

async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  await settle(page);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `invitations--${name}.png`), fullPage });
}

/** Fills the invite form of the settings page and returns the link it shows, once. */
async function inviteFromSettings(page: Page, email: string, role?: string): Promise<string> {
  await page.getByLabel('E-mail to invite').fill(email);
  if (role !== undefined) {
    await page.getByRole('combobox', { name: 'Role', exact: true }).click();
    await page.getByRole('option', { name: role, exact: true }).click();
  }
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const shown = page.getByRole('region', { name: 'Invitation link' });
  await shown.getByText(`${email} is invited as`).waitFor();
  return ((await shown.getByLabel('invitation link', { exact: true }).textContent()) ?? '').trim();
}

function pendingRow(page: Page, email: string) {
  return page.getByRole('button', { name: `Withdraw the invitation of ${email}` });
}

describe('invitations', () => {
  const e2e = browserPerFile();

  test('an owner invites a new address; its owner creates an account from the link and lands in the project', async () => {
    const { page } = e2e;
    const { email: ownerEmail, projectId } = await makeTenant(e2e, 'inviter');
    const settings = e2e.url(`/projects/${projectId}/settings`);
    await page.goto(settings);
    await page.getByLabel('Project name').waitFor();

    const invitee = uniqueEmail('invitee');
    const link = await inviteFromSettings(page, invitee, 'Admin');
    expect(link).toMatch(new RegExp(`^${e2e.baseUrl}/invite\\?token=[^&\\s]+$`));
    await page.getByText('It works once, for 7 days, and is shown only now.').waitFor();
    await page.getByText('Pending invitations').waitFor();
    await pendingRow(page, invitee).waitFor();
    await page.getByText(/Invited by Ada Lovelace · expires in 7 days/).waitFor();
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.getByRole('region', { name: 'Invitation link' }).scrollIntoViewIfNeeded();
    await shoot(page, 'settings-link-shown');

    // Inviting a member is refused, under the field.
    await page.getByLabel('E-mail to invite').fill(ownerEmail);
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('Already a member of this project.').waitFor();

    // The invited person, on a phone of their own, in the dark.
    let other: BrowserContext | undefined;
    try {
      other = await e2e.browser.newContext({
        viewport: PHONE,
        isMobile: true,
        hasTouch: true,
        colorScheme: 'dark',
      });
      other.setDefaultTimeout(PATIENCE);
      const theirs = await other.newPage();
      await theirs.goto(link);
      await theirs.getByRole('heading', { name: 'Join Acme inviter' }).waitFor();
      await theirs.getByText('Ada Lovelace invited').waitFor();
      expect(await theirs.getByLabel('E-mail').inputValue()).toBe(invitee);
      await theirs.getByLabel('Name').fill('Grace Hopper');
      await theirs.getByLabel(/^Password/).fill('short');
      await theirs.getByRole('button', { name: 'Create your account and join' }).click();
      await theirs.getByText('Use 8 to 256 characters').waitFor();
      await theirs.getByLabel(/^Password/).fill(PASSWORD);
      expect(
        await theirs.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      await shoot(theirs, 'invite-page-new-account-phone-dark');
      await theirs.getByRole('button', { name: 'Create your account and join' }).click();
      await theirs.waitForURL(e2e.url(`/projects/${projectId}/metrics`));
      await theirs.getByRole('heading', { name: 'Metrics', exact: true }).waitFor();
      await theirs.getByText('You are now admin of Acme inviter.').waitFor();
      await shoot(theirs, 'invitee-landed-in-project');

      // The link worked once.
      await theirs.goto(link);
      await theirs.getByRole('heading', { name: 'This invitation is no longer valid' }).waitFor();
    } finally {
      await other?.close();
    }

    // The owner sees the new member, and no pending invitation.
    await page.reload();
    await page.getByText('Grace Hopper').waitFor();
    await page.getByText(invitee).waitFor();
    expect(await pendingRow(page, invitee).count()).toBe(0);
    expect(await page.getByText('Pending invitations').count()).toBe(0);
  });

  test('a withdrawn invitation’s link says it is no longer valid', async () => {
    const { page } = e2e;
    const { projectId } = await makeTenant(e2e, 'withdraw');
    await page.goto(e2e.url(`/projects/${projectId}/settings`));
    await page.getByLabel('Project name').waitFor();
    const invitee = uniqueEmail('withdrawn');
    const link = await inviteFromSettings(page, invitee);

    await pendingRow(page, invitee).click();
    const dialog = page.getByRole('dialog', { name: 'Withdraw this invitation?' });
    await dialog.getByText(invitee).waitFor();
    await settle(page);
    await shoot(page, 'withdraw-confirm');
    await dialog.getByRole('button', { name: 'Withdraw invitation' }).click();
    await page.getByText(`The link sent to ${invitee} no longer works.`).waitFor();
    await pendingRow(page, invitee).waitFor({ state: 'detached' });
    // Its link, still on screen, goes with it.
    expect(await page.getByRole('region', { name: 'Invitation link' }).count()).toBe(0);

    await e2e.context.clearCookies();
    await page.goto(link);
    await page.getByRole('heading', { name: 'This invitation is no longer valid' }).waitFor();
    await page.getByRole('link', { name: 'Go to sign in' }).waitFor();
  });

  test('signed in as another address, the invited person signs out, signs in as the invited address, comes back and joins', async () => {
    const { page } = e2e;
    const owner = await makeTenant(e2e, 'host');
    // The invited address has an account already (made on a context of its own).
    const invitee = uniqueEmail('existing');
    const elsewhere = await e2e.browser.newContext();
    try {
      const created = await elsewhere.request.post(e2e.url('/api/auth/signup'), {
        data: { email: invitee, password: PASSWORD, name: 'Grace Hopper' },
      });
      expect(created.status()).toBe(201);
    } finally {
      await elsewhere.close();
    }
    const link = await makeInvitation(e2e, owner, invitee, 'guest');

    // Still signed in as the owner: not the invited address.
    await page.goto(link);
    await page.getByText('This invitation is for another address').waitFor();
    await page.getByText(`you are signed in as ${owner.email}`).waitFor();
    await shoot(page, 'invite-page-wrong-account');
    await page.getByRole('button', { name: 'Sign out' }).click();

    await page.getByRole('link', { name: 'Sign in to accept' }).click();
    await page.waitForURL(/\/sign-in\?next=%2Finvite%3Ftoken%3D/);
    expect(await page.getByLabel('E-mail').inputValue()).toBe(invitee);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(link);
    await page.getByRole('button', { name: 'Join Acme host' }).waitFor();
    await page.getByText(`You are signed in as ${invitee}.`).waitFor();
    await shoot(page, 'invite-page-join');
    await page.getByRole('button', { name: 'Join Acme host' }).click();
    await page.waitForURL(e2e.url(`/projects/${owner.projectId}/metrics`));
    await page.getByText('You are now guest of Acme host.').waitFor();
  });
});

describe('invitations on a phone', () => {
  const phone = browserPerFile({ viewport: PHONE, isMobile: true, hasTouch: true });

  test('the members section with a pending invitation and its link fits 390 px', async () => {
    const { page } = phone;
    const { projectId } = await makeTenant(phone, 'phone-invite');
    await page.goto(phone.url(`/projects/${projectId}/settings`));
    await page.getByLabel('Project name').waitFor();
    const invitee = `a-rather-long-address-for-a-phone-${Date.now().toString(36)}@subdomain.example.com`;
    await inviteFromSettings(page, invitee, 'Guest');
    await pendingRow(page, invitee).waitFor();
    expect(await horizontalOverflow(page), 'pixels of horizontal overflow').toBeLessThanOrEqual(0);
    await shoot(page, 'settings-phone-full', true);
  });
});
