// Browser journey through "My data" (SPEC §3.8): an employee downloads their data, then deletes
// their account after confirming with their password, and can no longer sign in.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { apiToken, expectHeading, expectPath, inviteAndAccept, navigate, signIn } from './app.mjs';
import { checkpoint, cleanUp, launchBrowser, openPage, startServer } from './harness.mjs';

const ADMIN = { org: 'Acme Test', name: 'Ada Admin', email: 'admin@acme.test', password: 'correct horse battery staple' };
const EMPLOYEE = { email: 'dora.delete@acme.test', name: 'Dora Delete', password: 'a long enough password' };

const createAdmin = (a) => ['create-admin', '--org', a.org, '--email', a.email, '--password', a.password, '--name', a.name];

describe('my data', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([startServer({ seed: [createAdmin(ADMIN)] }), launchBrowser()]);
  });

  after(async () => {
    await cleanUp(() => browser?.close(), () => server?.stop());
  });

  test('an employee downloads their data, then deletes their account', async () => {
    const adminToken = await apiToken(server, ADMIN.email, ADMIN.password);
    const employee = await inviteAndAccept(server, adminToken, EMPLOYEE);
    const { page, assertClean } = await openPage(browser);
    await signIn(page, server.url, EMPLOYEE.email, EMPLOYEE.password);

    await navigate(page, 'My data');
    await expectPath(page, '/my-data');
    await expectHeading(page, 'My data');
    await checkpoint(page, 'my-data');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download my data/ }).click()]);
    const data = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(data.profile.email, EMPLOYEE.email);
    assert.equal(data.profile.id, employee.id);

    // A wrong password deletes nothing.
    const remove = page.getByRole('button', { name: 'Delete my account' });
    assert.equal(await remove.isDisabled(), true, 'nothing to confirm yet');
    await page.getByLabel('Your password').fill('not my password');
    await page.getByRole('checkbox', { name: 'I understand my account is deleted for good' }).check();
    await remove.click();
    await page.getByText('is not your password').waitFor();
    await checkpoint(page, 'my-data-wrong-password');

    await page.getByLabel('Your password').fill(EMPLOYEE.password);
    await remove.click();
    await expectPath(page, '/login');
    await expectHeading(page, 'Sign in to Chorus');
    assert.equal(await page.evaluate(() => localStorage.getItem('chorus.refresh_token')), null, 'signed out');

    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMPLOYEE.email, password: EMPLOYEE.password }),
    });
    assert.equal(res.status, 401, 'the deleted account cannot sign in');
    assertClean();
  });
});
