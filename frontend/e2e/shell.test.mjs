// Browser journeys through the signed-in shell: role-based access, unknown routes, small
// screens and the dark colour scheme, against a real server seeded with the demo organisation.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectHeading, expectPath, fillSignIn, signIn, signOut } from './app.mjs';
import { assertNoHorizontalOverflow, checkpoint, cleanUp, launchBrowser, openPage, startServer } from './harness.mjs';

// `chorus seed-demo` creates these accounts (one password for all of them).
const DEMO_PASSWORD = 'chorus-demo-password';
const DEMO_ADMIN = 'admin@demo.chorus.test';
const DEMO_EMPLOYEE = 'employee@demo.chorus.test';
const MOBILE = { width: 375, height: 800 };

describe('the signed-in shell', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([startServer({ seed: [['seed-demo']] }), launchBrowser()]);
  });

  after(async () => {
    await cleanUp(() => browser?.close(), () => server?.stop());
  });

  test('an employee opening /admin/people sees the no-access view, not the page', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, DEMO_EMPLOYEE, DEMO_PASSWORD);
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await nav.getByRole('link', { name: 'People' }).count(), 0, 'no People link for an employee');

    await page.goto(`${server.url}/admin/people`);
    await expectHeading(page, 'You do not have access to this page');
    await expectPath(page, '/admin/people');
    assert.equal(await page.getByRole('table').count(), 0, 'no people are shown');
    await checkpoint(page, 'forbidden');
    assertClean();
    await context.close();
  });

  test('an unknown route shows the 404 view (after sign-in returns there)', async () => {
    const { page, context, assertClean } = await openPage(browser);
    // Signed out, the guard sends the person to sign in and remembers where they were going.
    await page.goto(`${server.url}/no/such/page`);
    await expectPath(page, '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/no/such/page');
    await fillSignIn(page, DEMO_EMPLOYEE, DEMO_PASSWORD);
    await expectPath(page, '/no/such/page');
    await expectHeading(page, 'Page not found');
    await checkpoint(page, 'not-found');

    await page.getByRole('link', { name: 'Go to your home page' }).click();
    await expectPath(page, '/');
    await expectHeading(page, /^Welcome, /);
    assertClean();
    await context.close();
  });

  test('at 375×800 the login page fits and the shell menu opens, navigates and closes', async () => {
    const { page, context, assertClean } = await openPage(browser, { viewport: MOBILE });
    await page.goto(`${server.url}/login`);
    await expectHeading(page, 'Sign in to Chorus');
    await assertNoHorizontalOverflow(page);
    await checkpoint(page, 'mobile-login');

    await fillSignIn(page, DEMO_ADMIN, DEMO_PASSWORD);
    await expectPath(page, '/');
    await expectHeading(page, /^Welcome, /);
    await assertNoHorizontalOverflow(page);

    const menu = page.getByRole('button', { name: 'Menu' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    assert.equal(await menu.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.isVisible(), false, 'the navigation is folded away on a small screen');
    await checkpoint(page, 'mobile-home');

    await menu.click();
    const close = page.getByRole('button', { name: 'Close menu' });
    assert.equal(await close.getAttribute('aria-expanded'), 'true');
    await nav.waitFor({ state: 'visible' });
    await nav.getByRole('link', { name: 'People' }).waitFor({ state: 'visible' });
    await assertNoHorizontalOverflow(page);
    await checkpoint(page, 'mobile-menu');

    await nav.getByRole('link', { name: 'People' }).click();
    await expectPath(page, '/admin/people');
    await expectHeading(page, 'People');
    await nav.waitFor({ state: 'hidden' });
    assert.equal(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded'), 'false');
    await page.getByRole('table').waitFor();
    await assertNoHorizontalOverflow(page);
    await checkpoint(page, 'mobile-people');

    // Escape closes the open menu too.
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await nav.waitFor({ state: 'hidden' });

    await signOut(page);
    assertClean();
    await context.close();
  });

  test('the main pages pass the accessibility checks in the dark colour scheme', async () => {
    const { page, context, assertClean } = await openPage(browser, { colorScheme: 'dark' });
    await page.goto(`${server.url}/login`);
    await expectHeading(page, 'Sign in to Chorus');
    await checkpoint(page, 'dark-login');
    await fillSignIn(page, DEMO_ADMIN, DEMO_PASSWORD);
    await expectHeading(page, /^Welcome, /);
    await checkpoint(page, 'dark-home');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await page.getByRole('table').waitFor();
    await checkpoint(page, 'dark-people');
    assertClean();
    await context.close();
  });
});
