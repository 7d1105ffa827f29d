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

/** Open a page from the main navigation (the menu folds away on small screens; use goto there). */
export async function navigate(page, label) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
}

// ---- setting up an organisation through the JSON API (not what the tests are about) ----------

/** A JSON API call; fails the test on a non-2xx answer, printing the problem document. */
export async function apiCall(server, token, method, path, body) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Sign in through the API and return the access token. */
export async function apiToken(server, email, password) {
  const doc = await apiCall(server, null, 'POST', '/api/v1/auth/login', { email, password });
  return doc.access_token;
}

/**
 * Invite someone as the admin, accept the emailed invitation and return { id, token } of the new
 * account (the invitation flow itself is covered by auth.test.mjs).
 */
export async function inviteAndAccept(server, adminToken, { email, name, password, roles = ['employee'], teamId = null }) {
  await apiCall(server, adminToken, 'POST', '/api/v1/invitations', { email, roles, ...(teamId ? { team_id: teamId } : {}) });
  const mail = await server.mail.next({ to: email, linkPath: '/invite' });
  const token = new URL(mail.link).searchParams.get('token');
  const tokens = await apiCall(server, null, 'POST', '/api/v1/invitations/accept', { token, display_name: name, password });
  const me = await apiCall(server, tokens.access_token, 'GET', '/api/v1/me');
  return { id: me.id, token: tokens.access_token };
}
