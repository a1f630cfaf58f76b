import { describe, expect, test } from 'vitest';
import { browserPerFile, makeTenant, PASSWORD, uniqueEmail } from './harness.js';

const e2e = browserPerFile();

describe('auth', () => {
  test('sign-up shows what is wrong with each field, then with an e-mail already taken', async () => {
    const { page } = e2e;
    await page.goto(e2e.url('/sign-up'));
    await page.getByLabel('E-mail').fill('not-an-email');
    await page.getByLabel(/^Password/).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Enter a valid e-mail address').waitFor();
    await page.getByText('Use 8 to 256 characters').waitFor();
    expect(page.url()).toBe(e2e.url('/sign-up'));

    // Taken by someone else (compared case-insensitively).
    const { email } = await makeTenant(e2e, 'taken');
    await e2e.context.clearCookies();
    await page.getByLabel('E-mail').fill(email.toUpperCase());
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').getByText('E-mail already registered').waitFor();
    expect(page.url()).toBe(e2e.url('/sign-up'));
  });

  test('sign-in with a wrong password says so and stays on the form', async () => {
    const { page } = e2e;
    const { email } = await makeTenant(e2e, 'wrong-password');
    await e2e.context.clearCookies();
    await page.goto(e2e.url('/sign-in'));
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel(/^Password/).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Wrong e-mail or password').waitFor();
    expect(page.url()).toBe(e2e.url('/sign-in'));

    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(e2e.url('/'));
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
  });

  test('forgot password says where the link goes, whether the account exists or not', async () => {
    const { page } = e2e;
    await page.goto(e2e.url('/sign-in'));
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(e2e.url('/forgot-password'));
    await page.getByLabel('E-mail').fill('nobody-here');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('Enter a valid e-mail address').waitFor();
    const email = uniqueEmail('forgot');
    await page.getByLabel('E-mail').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    await page.getByText(email).waitFor();
    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await page.waitForURL(e2e.url('/sign-in'));
  });

  test('a session that ends mid-use goes to sign-in, says so, and comes back', async () => {
    const { page } = e2e;
    const { email, projectId } = await makeTenant(e2e, 'expiry');
    const settings = e2e.url(`/projects/${projectId}/settings`);
    await page.goto(settings);
    await page.getByLabel('Project name').waitFor();

    await e2e.context.clearCookies();
    await page.getByLabel('Project name').fill('Renamed after expiry');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/sign-in\?.*reason=expired/);
    await page.getByText('Your session has ended').waitFor();

    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(settings);
    await expect.poll(() => page.getByLabel('Project name').inputValue()).toBe('Acme expiry');
  });

  test('a deep link while signed out comes back after signing in', async () => {
    const { page } = e2e;
    const { email, projectId } = await makeTenant(e2e, 'deep-link');
    await e2e.context.clearCookies();
    const keys = e2e.url(`/projects/${projectId}/keys`);
    await page.goto(keys);
    await page.waitForURL(/\/sign-in\?next=%2Fprojects%2F/);
    await expect(page.getByText('Your session has ended').count()).resolves.toBe(0);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(keys);
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
  });
});
