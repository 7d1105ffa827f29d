// Browser journeys through employee advocacy (SPEC §3.2–3.4, §3.6): an editor publishes a post;
// an employee opts in, links a network and shares the post in three steps; a plain HTTP request
// follows the tracked link; the employee's impact and the manager's dashboard show the human
// click. A second server, seeded with `chorus seed-demo`, carries the dashboards with ninety
// days of data: every new page is checked with axe-core and screenshotted, and the time the
// manager dashboard takes to render is measured and printed (a figure, not an assertion).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiCall, apiToken, expectHeading, expectPath, fillSignIn, inviteAndAccept, navigate, signIn } from './app.mjs';
import { artifactsDir, assertNoHorizontalOverflow, checkpoint, cleanUp, launchBrowser, openPage, PUBLIC_URL, startServer } from './harness.mjs';

const MOBILE = { width: 375, height: 800 };
/** A desktop browser's User-Agent: a person following the link, not a bot or the sharer. */
const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const ADMIN = { org: 'Initech Test', name: 'Ada Admin', email: 'admin@initech.test', password: 'correct horse battery staple' };
const MANAGER = { name: 'Mona Manager', email: 'mona@initech.test', password: 'manager password 123' };
const EMPLOYEE = { name: 'Eli Employee', email: 'eli@initech.test', password: 'employee password 123' };
const EDITOR = { name: 'Edda Editor', email: 'edda@initech.test', password: 'editor password 123' };
const POST = {
  title: 'Initech opens its Lisbon office',
  url: 'https://initech.example/news/lisbon',
  text: 'Initech is opening an office in Lisbon — and hiring.',
};

/** The value shown on a KPI tile, e.g. tile(page, 'human_clicks') → "1". */
async function tile(page, metric) {
  return (await page.locator(`.kpi[data-metric="${metric}"] .kpi-value`).first().textContent())?.trim();
}

describe('advocacy on a fresh organisation', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([
      // The journey's team has two people; below the default k-anonymity threshold (5) the
      // manager would see no numbers at all, so this server shows groups from one person up.
      startServer({
        seed: [['create-admin', '--org', ADMIN.org, '--email', ADMIN.email, '--password', ADMIN.password, '--name', ADMIN.name]],
        env: { CHORUS_ADVOCACY__K_ANONYMITY: '1' },
      }),
      launchBrowser(),
    ]);
    // The people and team are set up through the API: the journeys below are about advocacy.
    const admin = await apiToken(server, ADMIN.email, ADMIN.password);
    const team = await apiCall(server, admin, 'POST', '/api/v1/teams', { name: 'Growth' });
    const manager = await inviteAndAccept(server, admin, { ...MANAGER, teamId: team.id });
    await inviteAndAccept(server, admin, { ...EMPLOYEE, teamId: team.id });
    await inviteAndAccept(server, admin, { ...EDITOR, roles: ['employee', 'editor'] });
    await apiCall(server, admin, 'PATCH', `/api/v1/teams/${team.id}`, { manager_ids: [manager.id] });
  });

  after(async () => {
    await cleanUp(() => browser?.close(), () => server?.stop());
  });

  test('an editor writes a post with per-network text and publishes it; it is then in the feed', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, EDITOR.email, EDITOR.password);
    await navigate(page, 'Posts');
    await expectHeading(page, 'Posts');
    await page.getByText('No posts yet').waitFor();
    await checkpoint(page, 'posts-empty');

    await page.getByRole('link', { name: 'New post' }).click();
    await expectPath(page, '/content/new');
    await expectHeading(page, 'New post');
    // Publishing without a link is refused on the page, next to the field.
    await page.getByLabel('Title', { exact: true }).fill(POST.title);
    await page.getByRole('button', { name: 'Publish now' }).click();
    await page.getByText('Enter the address of the page to share.').waitFor();

    await page.getByLabel('Link to share').fill(POST.url);
    await page.getByLabel('Summary').fill('Our fourth European office opens in March.');
    await page.getByLabel('Tags').fill('hiring, #culture');
    await page.getByLabel('Suggested text for LinkedIn').fill(POST.text);
    // The preview shows the text as the share will read, with an example tracked link.
    const preview = page.getByRole('figure');
    await preview.getByText(POST.text).waitFor();
    await preview.getByText('/r/a1B2c3D4').waitFor();
    await checkpoint(page, 'post-editor');

    await page.getByRole('button', { name: 'Publish now' }).click();
    await page.getByRole('status').filter({ hasText: 'Published. It is now in the feed' }).waitFor();
    await page.waitForURL((u) => /^\/content\/posts\/[^/]+$/.test(u.pathname));
    await expectHeading(page, `Edit: ${POST.title}`);

    await navigate(page, 'Posts');
    await page.getByRole('link', { name: 'Published' }).click();
    await page.getByRole('table').getByRole('link', { name: POST.title }).waitFor();
    await checkpoint(page, 'posts');

    // The editor is an employee too: the post is in their own feed.
    await navigate(page, 'Share news');
    await page.getByRole('article', { name: POST.title }).waitFor();
    assertClean();
    await context.close();
  });

  test('an employee opts in, links a network, shares in three steps; the tracked link counts a human click the manager sees', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, EMPLOYEE.email, EMPLOYEE.password);

    // Not opted in yet: the feed can be read, but sharing asks for consent first.
    await navigate(page, 'Share news');
    await expectHeading(page, 'Share news');
    const card = page.getByRole('article', { name: POST.title });
    await card.waitFor();
    await card.getByRole('link', { name: 'Opt in to share' }).waitFor();
    await checkpoint(page, 'feed-not-opted-in');

    // Opt in, reading the terms (their version comes from the server).
    await navigate(page, 'Advocacy programme');
    await expectHeading(page, 'Advocacy programme');
    await page.getByRole('heading', { name: /^Programme terms, version \S+/ }).waitFor();
    await page.getByText('Not taking part').waitFor();
    await checkpoint(page, 'advocacy');
    await page.getByRole('checkbox', { name: /Show me on team leaderboards/ }).check();
    await page.getByRole('button', { name: /^Opt in and accept version / }).click();
    await page.getByText('Taking part', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Opt out' }).waitFor();
    await checkpoint(page, 'advocacy-opted-in');

    // Link LinkedIn with an audience size.
    await navigate(page, 'Networks');
    await expectHeading(page, 'Your networks');
    await page.getByRole('button', { name: 'Link LinkedIn' }).click();
    await page.getByLabel('Handle').fill('@eli');
    await page.getByLabel('Audience size').fill('1,250');
    await page.getByRole('button', { name: 'Save LinkedIn' }).click();
    await page.getByRole('status').filter({ hasText: 'LinkedIn saved: 1,250' }).waitFor();
    await page.getByRole('button', { name: 'Unlink LinkedIn' }).waitFor();
    await checkpoint(page, 'networks');

    // Share: (1) pick the network on the card, (2) make the text one's own, (3) open LinkedIn.
    await navigate(page, 'Share news');
    await card.getByRole('button', { name: 'Share on LinkedIn' }).click();
    const dialog = page.getByRole('dialog', { name: `Share “${POST.title}”` });
    await dialog.waitFor();
    const text = dialog.getByLabel('Your text');
    assert.equal(await text.inputValue(), POST.text, 'the suggested LinkedIn text is the starting point');
    await text.fill(`Proud to see us grow. ${POST.text}`);
    await checkpoint(page, 'share-compose');
    await dialog.getByRole('button', { name: 'Create my tracked link' }).click();
    await dialog.getByRole('heading', { name: 'Your link is ready' }).waitFor();
    const tracked = await dialog.getByLabel('Tracked link').inputValue();
    assert.match(tracked, new RegExp(`^${PUBLIC_URL.replace(/\./g, '\\.')}/r/[A-Za-z0-9]+$`), `a tracked link on the public URL (got ${tracked})`);
    const open = dialog.getByRole('link', { name: /^Open LinkedIn/ });
    const intent = await open.getAttribute('href');
    assert.equal(await open.getAttribute('target'), '_blank');
    assert.ok(intent.startsWith('https://www.linkedin.com/sharing/share-offsite/'), `LinkedIn's share page (got ${intent})`);
    assert.equal(new URL(intent).searchParams.get('url'), tracked, 'the share page carries the tracked link');
    await checkpoint(page, 'share-ready');

    // Someone follows the link: a plain request with a browser's User-Agent is a human click;
    // a script's is a bot hit. Both are answered with the redirect to the post's page.
    const human = await fetch(server.localUrl(tracked), { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    assert.equal(human.status, 302);
    const location = new URL(human.headers.get('location'));
    assert.equal(`${location.origin}${location.pathname}`, POST.url);
    assert.equal(location.searchParams.get('utm_source'), 'linkedin');
    assert.equal(location.searchParams.get('utm_medium'), 'employee_advocacy');
    const bot = await fetch(server.localUrl(tracked), { redirect: 'manual', headers: { 'user-agent': 'curl/8.5.0' } });
    assert.equal(bot.status, 302);

    // "I posted it", with the public address of the post.
    await dialog.getByLabel('Address of your post on LinkedIn').fill('https://www.linkedin.com/posts/eli-lisbon-1');
    await dialog.getByRole('button', { name: 'I posted it' }).click();
    await dialog.getByRole('heading', { name: 'Thank you for sharing' }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await card.getByText('You shared this on LinkedIn').waitFor();

    // Report engagement on My shares.
    await navigate(page, 'My shares');
    await expectHeading(page, 'My shares');
    const share = page.getByRole('article', { name: POST.title });
    await share.getByText('Posted', { exact: true }).waitFor();
    await share.getByRole('button', { name: 'Report engagement' }).click();
    await share.getByLabel('Impressions').fill('340');
    await share.getByLabel('Reactions').fill('12');
    await share.getByLabel('Comments').fill('3');
    await share.getByRole('button', { name: 'Save engagement' }).click();
    await share.getByRole('status').filter({ hasText: 'Engagement saved.' }).waitFor();
    await share.getByText('(reported by you)').waitFor();
    await checkpoint(page, 'my-shares');

    // My impact: one human click, the bot apart, potential reach from the audience at share time.
    await navigate(page, 'My impact');
    await expectHeading(page, 'My impact');
    await page.locator('[data-view="impact"]').waitFor();
    assert.equal(await tile(page, 'human_clicks'), '1');
    assert.equal(await tile(page, 'bot_hits'), '1');
    assert.equal(await tile(page, 'potential_reach'), '1,250');
    assert.equal(await tile(page, 'engagement'), '15');
    await page.locator('.kpi[data-metric="potential_reach"]').getByText('Potential', { exact: true }).waitFor();
    await page.locator('.kpi[data-metric="human_clicks"]').getByText('Measured', { exact: true }).waitFor();
    await checkpoint(page, 'impact');
    assertClean();
    await context.close();

    // The manager of the employee's team sees the click on the team dashboard.
    const mgr = await openPage(browser);
    await signIn(mgr.page, server.url, MANAGER.email, MANAGER.password);
    await navigate(mgr.page, 'Team reach');
    await expectHeading(mgr.page, 'Team reach');
    await mgr.page.locator('[data-view="team-reach"]').waitFor();
    assert.equal(await tile(mgr.page, 'human_clicks'), '1', 'the human click reached the manager dashboard');
    assert.equal(await tile(mgr.page, 'shares'), '1');
    assert.equal(await tile(mgr.page, 'active_advocates'), '1');
    // The dashboard explains its anonymity rule (this server's threshold is 1; see before()).
    await mgr.page.getByRole('region', { name: 'About anonymity' }).waitFor();
    await checkpoint(mgr.page, 'team-reach-small-team');

    // Every table downloads as CSV through the authenticated client.
    const [download] = await Promise.all([
      mgr.page.waitForEvent('download'),
      mgr.page.getByRole('button', { name: 'Download CSV of the “By network” table' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^chorus-teams-by_network-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /^key,label,shares,potential_reach,human_clicks,bot_hits,unique_visitors/);
    assert.match(csv, /\nlinkedin,linkedin,1,1250,1,1,/);
    mgr.assertClean();
    await mgr.context.close();
  });

  test('at 375×800 the feed and the share dialog fit the screen', async () => {
    const { page, context, assertClean } = await openPage(browser, { viewport: MOBILE });
    await signIn(page, server.url, EMPLOYEE.email, EMPLOYEE.password);
    await page.goto(`${server.url}/feed`);
    await expectHeading(page, 'Share news');
    const card = page.getByRole('article', { name: POST.title });
    await card.waitFor();
    await assertNoHorizontalOverflow(page);
    await checkpoint(page, 'mobile-feed');
    await card.getByRole('button', { name: 'Another network…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Where will you share it?' }).waitFor();
    await dialog.getByRole('button', { name: /^X\b/ }).click();
    await dialog.getByLabel('Your text').waitFor();
    await dialog.getByText(/characters left on X/).waitFor();
    await assertNoHorizontalOverflow(page);
    await checkpoint(page, 'mobile-share');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assertClean();
    await context.close();
  });
});

describe('dashboards with the demo organisation', () => {
  const DEMO_PASSWORD = 'chorus-demo-password';
  const demo = (who) => `${who}@demo.chorus.test`;
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([startServer({ seed: [['seed-demo']] }), launchBrowser()]);
  });

  after(async () => {
    await cleanUp(() => browser?.close(), () => server?.stop());
  });

  test('the manager dashboard renders ninety days of demo data; its render time is measured', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('manager'), DEMO_PASSWORD);

    // Navigation start → tiles, chart, every table and the leaderboard on screen, measured in
    // the page (performance.now() is relative to the navigation). Cold: the dashboard's code
    // chunk is not cached yet; warm: a reload.
    const measure = async () => {
      await page.goto(`${server.url}/team-reach?range=90d`);
      return page.waitForFunction(
        () => {
          const view = document.querySelector('[data-view="team-reach"]');
          const ready = view && view.querySelector('.chart-svg path.chart-line') && view.querySelectorAll('table').length >= 5;
          return ready ? performance.now() : null;
        },
        null,
        { polling: 'raf', timeout: 15_000 },
      ).then((h) => h.jsonValue());
    };
    const cold = await measure();
    const warm = await measure();
    const figure = `manager dashboard (seed-demo, 90 days, 4 teams) rendered in ${Math.round(cold)} ms cold, ${Math.round(warm)} ms warm (navigation start → tiles, chart and tables visible, headless Chromium)`;
    console.log(`PERF ${figure}`);
    writeFileSync(join(artifactsDir, 'dashboard-render.txt'), `${figure}\n`);

    await expectHeading(page, 'Team reach');
    assert.ok(Number((await tile(page, 'human_clicks')).replace(/\D/g, '')) > 0, 'demo clicks are shown');
    // Every metric says its tier.
    await page.locator('.kpi[data-metric="potential_reach"]').getByText('Potential', { exact: true }).waitFor();
    await page.getByRole('table').filter({ hasText: 'Clicks per share' }).waitFor();
    await checkpoint(page, 'team-reach');

    // The fair ranking, and another window, come from the URL so they survive a reload.
    await page.getByRole('radio', { name: 'Clicks per share' }).check();
    await page.waitForURL((u) => u.searchParams.get('rank') === 'per_share');
    await page.locator('[data-view="team-reach"]:not([aria-busy="true"])').waitFor();
    const ratios = await page
      .getByRole('region', { name: 'Leaderboard table', exact: true })
      .locator('tbody tr td:last-child')
      .allTextContents();
    const values = ratios.map((v) => Number(v.replace(/,/g, '')));
    assert.deepEqual(values, [...values].sort((a, b) => b - a), 'ranked by clicks per share');
    await page.getByLabel('Period', { exact: true }).selectOption('7d');
    await page.waitForURL((u) => u.searchParams.get('range') === '7d' && u.searchParams.get('rank') === 'per_share');
    // The URL changes before the reload starts: wait for the seven days themselves, not busy.
    await page.waitForFunction(() => {
      const days = document.querySelector('[data-view="team-reach"] [aria-label$="per day as a table"] tbody');
      return days?.children.length === 7 && !document.querySelector('[data-view="team-reach"][aria-busy="true"]');
    });
    // The chart can be read with the keyboard.
    await page.getByRole('group', { name: /Human clicks per day/ }).focus();
    await page.keyboard.press('End');
    await page.locator('.chart-readout').filter({ hasText: /human clicks$/ }).waitFor();
    await checkpoint(page, 'team-reach-7d');
    assertClean();
    await context.close();
  });

  test('the manager dashboard fits 375 px and works in the dark colour scheme', async () => {
    const mobile = await openPage(browser, { viewport: MOBILE });
    await signIn(mobile.page, server.url, demo('manager'), DEMO_PASSWORD);
    await mobile.page.goto(`${server.url}/team-reach`);
    await mobile.page.locator('[data-view="team-reach"]').waitFor();
    await assertNoHorizontalOverflow(mobile.page);
    await checkpoint(mobile.page, 'mobile-team-reach');
    mobile.assertClean();
    await mobile.context.close();

    const dark = await openPage(browser, { colorScheme: 'dark' });
    await signIn(dark.page, server.url, demo('manager'), DEMO_PASSWORD);
    await dark.page.goto(`${server.url}/team-reach`);
    await dark.page.locator('[data-view="team-reach"]').waitFor();
    await checkpoint(dark.page, 'dark-team-reach');
    dark.assertClean();
    await dark.context.close();
  });

  test('an employee sees their impact, shares and consent with demo data', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('employee'), DEMO_PASSWORD);
    await navigate(page, 'My impact');
    await page.locator('[data-view="impact"]').waitFor();
    await page.getByLabel('Period', { exact: true }).selectOption('90d');
    await page.waitForURL((u) => u.searchParams.get('range') === '90d');
    await page.locator('[data-view="impact"]:not([aria-busy="true"])').waitFor();
    await page.getByRole('region', { name: 'By network table', exact: true }).getByRole('table').waitFor();
    await checkpoint(page, 'impact-demo');
    await navigate(page, 'My shares');
    await page.getByRole('article').first().waitFor();
    await checkpoint(page, 'my-shares-demo');
    await navigate(page, 'Share news');
    await page.getByRole('article').first().waitFor();
    await checkpoint(page, 'feed');
    await navigate(page, 'Suggest a post');
    await expectHeading(page, 'Suggest a post');
    await page.getByLabel('Title').fill('Our booth at DevConf');
    await page.getByLabel('Link').fill('https://demo.chorus.test/events/devconf');
    await page.getByRole('button', { name: 'Suggest it' }).click();
    await page.getByRole('status').filter({ hasText: '“Our booth at DevConf” is waiting for an editor' }).waitFor();
    await page.getByText('Waiting for review').first().waitFor();
    await checkpoint(page, 'suggest');
    assertClean();
    await context.close();
  });

  test('an editor reviews suggestions and manages campaigns', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('editor'), DEMO_PASSWORD);
    await navigate(page, 'Suggestions');
    await expectHeading(page, 'Suggestions');
    const pending = page.getByRole('article').first();
    await pending.waitFor();
    await checkpoint(page, 'suggestions');
    const title = (await pending.getByRole('heading').textContent()).trim();
    await pending.getByLabel('Note for your colleague (optional)').fill('Good idea, thank you!');
    await pending.getByRole('button', { name: 'Approve as draft' }).click();
    await page.getByRole('link', { name: 'Finish the draft post' }).click();
    await expectHeading(page, `Edit: ${title}`);
    await page.getByText('Draft', { exact: true }).first().waitFor();

    await navigate(page, 'Campaigns');
    await expectHeading(page, 'Campaigns');
    await page.getByRole('table').getByRole('rowheader').first().waitFor();
    await page.getByRole('button', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill('Spring open day');
    await page.getByLabel('Goal in human clicks (optional)').fill('2,500');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('status').filter({ hasText: 'Campaign “Spring open day” created.' }).waitFor();
    await page.getByRole('rowheader', { name: /Spring open day/ }).waitFor();
    await checkpoint(page, 'campaigns');
    assertClean();
    await context.close();
  });

  test('an admin sees programme health, any team’s reach, EMV rates and integrations', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('admin'), DEMO_PASSWORD);
    await navigate(page, 'Programme health');
    await expectHeading(page, 'Programme health');
    await page.locator('[data-view="programme"] .chart-svg').waitFor();
    assert.match(await tile(page, 'opt_in_rate'), /%$/);
    await checkpoint(page, 'programme-health');

    await navigate(page, 'Team reach');
    await page.locator('[data-view="team-reach"]').waitFor();
    await page.getByLabel('Teams').selectOption({ label: '— — Platform' });
    await page.waitForURL((u) => u.searchParams.has('team'));
    await page.locator('[data-view="team-reach"]:not([aria-busy="true"])').waitFor();
    await page.getByRole('heading', { name: 'Totals for Platform' }).waitFor();
    await checkpoint(page, 'team-reach-admin');

    await navigate(page, 'EMV rates');
    await expectHeading(page, 'EMV rates');
    await page.getByRole('table').getByText('In force').first().waitFor();
    await page.getByLabel('Network').selectOption('bluesky');
    await page.getByLabel('Cost per click').fill('0.95');
    await page.getByLabel('Cost per 1,000 impressions').fill('6');
    await page.getByRole('button', { name: 'Add rate' }).click();
    await page.getByRole('status').filter({ hasText: /^Bluesky: / }).waitFor();
    await checkpoint(page, 'emv');

    await navigate(page, 'Integrations');
    await expectHeading(page, 'Integrations');
    await page.getByLabel('Name').fill('Analytics export');
    await page.getByRole('button', { name: 'Create integration' }).click();
    await page.getByRole('heading', { name: '“Analytics export” is ready' }).waitFor();
    assert.ok((await page.getByLabel(/^API token/).inputValue()).length > 16, 'the token is shown once');
    await checkpoint(page, 'integrations');
    await page.getByRole('button', { name: 'I have stored them' }).click();
    await page.getByRole('button', { name: 'Revoke Analytics export' }).click();
    await page.getByRole('button', { name: 'Yes, revoke Analytics export' }).click();
    await page.getByRole('status').filter({ hasText: '“Analytics export” was revoked.' }).waitFor();
    assertClean();
    await context.close();
  });

  test('signing in as the manager from a deep link lands on the dashboard', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await page.goto(`${server.url}/team-reach?range=7d`);
    await expectPath(page, '/login');
    await fillSignIn(page, demo('manager'), DEMO_PASSWORD);
    await expectPath(page, '/team-reach');
    assert.equal(new URL(page.url()).searchParams.get('range'), '7d');
    await page.locator('[data-view="team-reach"]').waitFor();
    assertClean();
    await context.close();
  });
});
