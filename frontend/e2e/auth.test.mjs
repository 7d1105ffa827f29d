// Browser journeys through accounts and access (SPEC §3.1): password sign-in, invitation,
// magic link, password reset and sign-out, against a real server with the built frontend.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectHeading, expectPath, fillSignIn, homeDetails, signOut, topbarUserName } from './app.mjs';
import { checkpoint, cleanUp, launchBrowser, openPage, startServer } from './harness.mjs';

const ADMIN = { org: 'Acme Test', name: 'Ada Admin', email: 'admin@acme.test', password: 'correct horse battery staple' };
// A separate organisation for the reset journey, so changing its password affects no other test.
const RESETTER = { org: 'Globex Test', name: 'Rene Reset', email: 'reset.me@globex.test', password: 'the original password' };
const INVITEE = { email: 'new.person@example.test', name: 'New Person', password: 'a brand new long password' };

const createAdmin = (a) => ['create-admin', '--org', a.org, '--email', a.email, '--password', a.password, '--name', a.name];

describe('accounts and access', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([startServer({ seed: [createAdmin(ADMIN), createAdmin(RESETTER)] }), launchBrowser()]);
  });

  after(async () => {
    await cleanUp(() => browser?.close(), () => server?.stop());
  });

  test('an admin invites a new employee, who accepts, lands in the shell and signs out', async () => {
    const admin = await openPage(browser);
    const { page } = admin;

    await page.goto(`${server.url}/login`);
    await expectHeading(page, 'Sign in to Chorus');
    await checkpoint(page, 'login');

    await fillSignIn(page, ADMIN.email, ADMIN.password);
    await expectPath(page, '/');
    await expectHeading(page, `Welcome, ${ADMIN.name}`);
    const details = await homeDetails(page);
    assert.equal(details.Name, ADMIN.name);
    assert.equal(details.Email, ADMIN.email);
    assert.equal(details.Organisation, ADMIN.org);
    const roles = await page.getByRole('list', { name: 'Roles' }).getByRole('listitem').allTextContents();
    assert.ok(roles.includes('Admin'), `home lists the Admin role (got ${JSON.stringify(roles)})`);
    assert.equal(await topbarUserName(page), ADMIN.name);
    await checkpoint(page, 'home');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).click();
    await expectPath(page, '/admin/people');
    await expectHeading(page, 'People');
    const table = page.getByRole('table');
    await table.getByRole('rowheader', { name: ADMIN.name }).waitFor();
    await table.getByRole('cell', { name: ADMIN.email }).waitFor();
    await checkpoint(page, 'people');

    await page.getByRole('button', { name: 'Invite someone' }).click();
    const panel = page.getByRole('region', { name: 'Invite someone' });
    await panel.getByLabel('Email').fill(INVITEE.email);
    assert.equal(await panel.getByRole('checkbox', { name: 'Employee' }).isChecked(), true, 'employee is the default role');
    assert.equal(await panel.getByRole('checkbox', { name: 'Admin' }).isChecked(), false);
    await panel.getByRole('button', { name: 'Send invitation' }).click();
    await panel.getByRole('status').filter({ hasText: `Invitation sent to ${INVITEE.email}` }).waitFor();
    await checkpoint(page, 'people-invited');

    // The invitee opens the emailed link in their own browser.
    const email = await server.mail.next({ to: INVITEE.email, linkPath: '/invite' });
    assert.match(email.link, /\/invite\?token=[^&\s]+$/);
    const invitee = await openPage(browser);
    const ip = invitee.page;
    await ip.goto(server.localUrl(email.link));
    await expectHeading(ip, `Join ${ADMIN.org} on Chorus`);
    await ip.getByText(INVITEE.email).first().waitFor();
    await checkpoint(ip, 'invite');

    await ip.getByLabel('Your name').fill(INVITEE.name);
    await ip.getByLabel('Password', { exact: true }).fill(INVITEE.password);
    await ip.getByRole('button', { name: 'Create account and sign in' }).click();
    await expectPath(ip, '/');
    await expectHeading(ip, `Welcome, ${INVITEE.name}`);
    assert.equal(await topbarUserName(ip), INVITEE.name);
    const inviteeDetails = await homeDetails(ip);
    assert.equal(inviteeDetails.Email, INVITEE.email);
    assert.equal(inviteeDetails.Organisation, ADMIN.org);
    const inviteeRoles = await ip.getByRole('list', { name: 'Roles' }).getByRole('listitem').allTextContents();
    assert.deepEqual(inviteeRoles, ['Employee']);
    // An employee's navigation has no admin section.
    assert.equal(await ip.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' }).count(), 0);
    await checkpoint(ip, 'home-employee');

    await signOut(ip);
    invitee.assertClean();
    await invitee.context.close();

    // Back with the admin: the new person is now listed.
    await page.reload();
    await expectHeading(page, 'People');
    await page.getByRole('table').getByRole('rowheader', { name: INVITEE.name }).waitFor();
    admin.assertClean();
    await admin.context.close();
  });

  test('a wrong password shows a readable error and keeps the person on /login', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await page.goto(`${server.url}/login`);
    await fillSignIn(page, ADMIN.email, 'not the right password');
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'That email and password do not match an account. Check them and try again.' }).waitFor();
    await expectPath(page, '/login');
    assert.equal(await page.getByLabel('Email').inputValue(), ADMIN.email, 'the email is kept for another try');
    await checkpoint(page, 'login-error');
    assertClean();
    await context.close();
  });

  test('a magic link emailed from /login signs the admin in, once', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await page.goto(`${server.url}/login`);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await expectHeading(page, 'Sign in with an email link');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('status').filter({ hasText: 'Check your inbox' }).waitFor();
    await checkpoint(page, 'login-magic-sent');

    const email = await server.mail.next({ to: ADMIN.email, linkPath: '/login/magic' });
    const link = server.localUrl(email.link);
    await page.goto(link);
    await expectPath(page, '/');
    await expectHeading(page, `Welcome, ${ADMIN.name}`);
    assert.equal(await topbarUserName(page), ADMIN.name);
    assertClean();
    await context.close();

    // Links work once: the same link in another browser is refused, readably.
    const again = await openPage(browser);
    await again.page.goto(link);
    await expectHeading(again.page, 'This sign-in link did not work');
    await checkpoint(again.page, 'login-magic-used');
    again.assertClean();
    await again.context.close();
  });

  test('forgot password: request a link, set a new password, sign in with it', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expectPath(page, '/forgot-password');
    await expectHeading(page, 'Reset your password');
    await checkpoint(page, 'forgot-password');
    await page.getByLabel('Email').fill(RESETTER.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await expectHeading(page, 'Check your inbox');

    const email = await server.mail.next({ to: RESETTER.email, linkPath: '/reset-password' });
    await page.goto(server.localUrl(email.link));
    await expectHeading(page, 'Choose a new password');
    await checkpoint(page, 'reset-password');
    const newPassword = 'a completely new password';
    await page.getByLabel('New password').fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expectHeading(page, 'Password changed');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await expectPath(page, '/login');

    // The old password no longer works; the new one does.
    await fillSignIn(page, RESETTER.email, RESETTER.password);
    await page.getByRole('alert').filter({ hasText: 'do not match an account' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expectPath(page, '/');
    await expectHeading(page, `Welcome, ${RESETTER.name}`);
    assertClean();
    await context.close();
  });
});
