// Steps a person takes in the Chorus UI, shared by the browser tests. They find elements the
// way a person (or a screen reader) does: by role, label and visible text.

import assert from 'node:assert/strict';

/** Wait for the view's single <h1> to read `name` (a string for an exact match, or a RegExp). */
export async function expectHeading(page, name) {
  const heading = page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' });
  await heading.waitFor();
  return heading;
}

/** Wait until the browser is at `path` (pathname only, query ignored). */
export async function expectPath(page, path) {
  await page.waitForURL((url) => url.pathname === path);
}

export async function fillSignIn(page, email, password) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Sign in with a password from /login and wait for the home page. */
export async function signIn(page, baseUrl, email, password) {
  await page.goto(`${baseUrl}/login`);
  await expectHeading(page, 'Sign in to Chorus');
  await fillSignIn(page, email, password);
  await expectPath(page, '/');
  await expectHeading(page, /^Welcome, /);
}

/** The text of the signed-in user's name in the top bar. */
export async function topbarUserName(page) {
  return (await page.locator('header .user-name').textContent())?.trim();
}

/** The visible details list on the home page as { label: value }. */
export async function homeDetails(page) {
  const rows = await page.locator('dl.details > div').evaluateAll((divs) =>
    divs.map((d) => [d.querySelector('dt')?.textContent?.trim() ?? '', d.querySelector('dd')?.textContent?.trim() ?? '']),
  );
  return Object.fromEntries(rows);
}

export async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expectPath(page, '/login');
  await expectHeading(page, 'Sign in to Chorus');
  assert.equal(await page.evaluate(() => localStorage.getItem('chorus.refresh_token')), null, 'refresh token forgotten');
}
