// Browser journeys through recognition (SPEC §3.5, §3.6): an employee thanks a colleague and
// the recipient's wallet shows the points with their explanation; an administrator writes a
// reward rule, previews its cost and distribution, enables it, and the rule's award reaches
// the wallet explained by rule and version; a manager sees team recognition and gives spot
// awards from the budget; an employee redeems a reward, an administrator approves it and the
// employee sees the status. Every page is checked with axe-core and screenshotted.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { apiCall, apiToken, expectHeading, expectPath, inviteAndAccept, navigate, signIn } from './app.mjs';
import { assertNoHorizontalOverflow, checkpoint, cleanUp, launchBrowser, openPage, screenshot, startServer } from './harness.mjs';

const MOBILE = { width: 375, height: 800 };
const ADMIN = { org: 'Globex Test', name: 'Ada Admin', email: 'admin@globex.test', password: 'correct horse battery staple' };
const MANAGER = { name: 'Mona Manager', email: 'mona@globex.test', password: 'manager password 123' };
const GIVER = { name: 'Eli Employee', email: 'eli@globex.test', password: 'employee password 123' };
const RECIPIENT = { name: 'Bo Tester', email: 'bo@globex.test', password: 'recipient password 123' };
const VALUE = 'Customer first';
const REWARD = { name: 'Coffee voucher', cost: '5' };

/** The value of a figure tile, e.g. figure(page, 'total') → "10 points". */
async function figure(page, id) {
  return (await page.locator(`.kpi[data-figure="${id}"] .kpi-value`).first().textContent())?.trim();
}

/** Reload until `locator` appears (work done by a background job), within `timeout` ms. */
async function reloadUntil(page, locator, timeout = 40_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await locator.count()) return;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${locator} after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 1_000));
    await page.reload();
    await page.getByRole('heading', { level: 1 }).waitFor();
  }
}

describe('recognition on a fresh organisation', () => {
  let server;
  let browser;
  let adminToken;

  before(async () => {
    [server, browser] = await Promise.all([
      // The team has three people; below the default k-anonymity threshold (5) the manager
      // would see no figures at all, so this server shows groups from one person up.
      startServer({
        seed: [['create-admin', '--org', ADMIN.org, '--email', ADMIN.email, '--password', ADMIN.password, '--name', ADMIN.name]],
        // Badges are evaluated every two seconds here (every 15 minutes by default).
        env: { CHORUS_ADVOCACY__K_ANONYMITY: '1', CHORUS_JOBS__BADGES: '*/2 * * * * *' },
      }),
      launchBrowser(),
    ]);
    // People, team, allowance and a company value are set up through the API; the recipient
    // is thanked once publicly so that colleagues can find them from the thanks wall.
    adminToken = await apiToken(server, ADMIN.email, ADMIN.password);
    const team = await apiCall(server, adminToken, 'POST', '/api/v1/teams', { name: 'Support' });
    const manager = await inviteAndAccept(server, adminToken, { ...MANAGER, roles: ['employee', 'manager'], teamId: team.id });
    await inviteAndAccept(server, adminToken, { ...GIVER, teamId: team.id });
    const recipient = await inviteAndAccept(server, adminToken, { ...RECIPIENT, teamId: team.id });
    await apiCall(server, adminToken, 'PATCH', `/api/v1/teams/${team.id}`, { manager_ids: [manager.id] });
    await apiCall(server, adminToken, 'POST', '/api/v1/admin/recognition/allowances', { amount: 100, period: 'month' });
    await apiCall(server, adminToken, 'POST', '/api/v1/admin/recognition/values', { name: VALUE, description: 'We solve the customer’s problem.' });
    await apiCall(server, adminToken, 'POST', '/api/v1/thanks', { recipient_id: recipient.id, message: 'Welcome to the team!', points: 0 });
  });

  after(async () => {
    await cleanUp(() => browser?.close(), () => server?.stop());
  });

  test('an employee thanks a colleague; the recipient’s wallet shows the points with their explanation', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, GIVER.email, GIVER.password);
    await navigate(page, 'Thanks');
    await expectHeading(page, 'Thanks');
    await page.getByText('Welcome to the team!').waitFor();
    await page.getByText('100 of 100 left to give this month', { exact: false }).waitFor();
    await checkpoint(page, 'thanks');

    // Sending without a recipient or message is refused on the page, next to the fields.
    await page.getByRole('button', { name: 'Send thanks' }).click();
    await page.getByText('Choose who to thank.').waitFor();
    await page.getByText('Say what you are thanking them for.').waitFor();

    // Keyboard only: type, arrow down to the result, Enter.
    await page.getByLabel('Who do you want to thank?').fill('bo');
    await page.getByRole('button', { name: RECIPIENT.name }).waitFor();
    await page.keyboard.press('ArrowDown');
    // The colleague directory shows each person's team under their name.
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), `${RECIPIENT.name} Support`);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Change who do you want to thank?' }).waitFor();
    await page.getByLabel('Company value (optional)').selectOption({ label: VALUE });
    await page.getByLabel('Points').fill('5');
    await page.getByLabel('Message').fill('Thanks for untangling the invoice export with me.');
    await page.getByText('49 of 500 characters').waitFor();
    await page.getByRole('button', { name: 'Send thanks' }).click();
    await page.getByText(`${RECIPIENT.name} was thanked with 5 points.`).waitFor();
    await page.getByText('95 of 100 left to give this month', { exact: false }).waitFor();
    const card = page.getByRole('article', { name: `${GIVER.name} thanked ${RECIPIENT.name}` });
    await card.getByText(VALUE).waitFor();
    await card.getByRole('button', { name: 'Applause' }).click();
    await card.getByRole('button', { name: 'Applause, 1', pressed: true }).waitFor();
    await checkpoint(page, 'thanks-sent');
    await page.getByRole('link', { name: 'Given' }).click();
    await expectPath(page, '/thanks');
    await page.getByRole('heading', { name: 'Given', level: 2 }).waitFor();
    await page.getByText('Thanks for untangling the invoice export with me.').waitFor();
    assertClean();
    await context.close();

    // The recipient: the wallet's ledger explains the entry; the thanks can be kept private.
    const bo = await openPage(browser);
    await signIn(bo.page, server.url, RECIPIENT.email, RECIPIENT.password);
    await navigate(bo.page, 'Wallet');
    await expectHeading(bo.page, 'Wallet');
    assert.equal(await figure(bo.page, 'earned'), '5');
    const entry = bo.page.getByRole('article', { name: 'Thanks, +5 points' });
    await entry.getByText(`Thanks from ${GIVER.name}`).waitFor();
    await entry.getByText('Why?').click();
    const why = entry.locator('dl');
    await why.locator('div', { hasText: 'Allowance this period' }).getByText('100 points').waitFor();
    await why.locator('div', { hasText: 'Allowance left before' }).getByText('100 points').waitFor();
    await why.getByText(VALUE).waitFor();
    await checkpoint(bo.page, 'wallet');
    // The ledger downloads as CSV through the authenticated client.
    const [download] = await Promise.all([bo.page.waitForEvent('download'), bo.page.getByRole('button', { name: 'Download CSV of your ledger' }).click()]);
    assert.equal(download.suggestedFilename(), 'chorus-ledger.csv');
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv.length, 2, 'a header and the one entry');
    assert.match(csv[1], /thanks/);

    await navigate(bo.page, 'Thanks');
    await bo.page.getByRole('link', { name: 'Received' }).click();
    const received = bo.page.getByRole('article', { name: `${GIVER.name} thanked ${RECIPIENT.name}` });
    await received.getByRole('button', { name: 'Keep private' }).click();
    await received.getByText('Private', { exact: true }).waitFor();
    await received.getByRole('button', { name: 'Show on the wall' }).click();
    await received.getByRole('button', { name: 'Keep private' }).waitFor();
    await checkpoint(bo.page, 'thanks-received');
    bo.assertClean();
    await bo.context.close();
  });

  test('an administrator defines badges; the employee who gave thanks sees one earned and progress toward another', async () => {
    const admin = await openPage(browser);
    await signIn(admin.page, server.url, ADMIN.email, ADMIN.password);
    await navigate(admin.page, 'Badge definitions');
    await expectHeading(admin.page, 'Badge definitions');
    await admin.page.getByText('No badges yet').waitFor();
    for (const [name, threshold] of [
      ['First thanks', '1'],
      ['Generous', '5'],
    ]) {
      await admin.page.getByLabel('Badge name').fill(name);
      await admin.page.getByLabel('Counts').selectOption({ label: 'Thanks given' });
      await admin.page.getByLabel('Earned at').fill(threshold);
      await admin.page.getByRole('button', { name: 'Add badge' }).click();
      await admin.page.getByText(`${name} added.`).waitFor();
    }
    await admin.page.getByRole('cell', { name: '5 of 5 thanks given' }).waitFor();
    await checkpoint(admin.page, 'badges-admin');
    admin.assertClean();
    await admin.context.close();

    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, GIVER.email, GIVER.password);
    await navigate(page, 'Badges');
    await expectHeading(page, 'Badges');
    assert.equal(await figure(page, 'given'), '1');
    const generous = page.getByRole('article', { name: 'Generous' });
    await generous.getByText('1 of 5 thanks given').waitFor();
    // The badges job awards the first one.
    const earned = page.getByRole('region', { name: 'Earned' }).getByRole('article', { name: 'First thanks' });
    await reloadUntil(page, earned);
    await earned.getByText('Earned', { exact: true }).waitFor();
    await checkpoint(page, 'badges');
    assertClean();
    await context.close();
  });

  test('an administrator writes a rule, previews its cost and distribution, enables it; its award is explained in the wallet', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, ADMIN.email, ADMIN.password);
    await navigate(page, 'Reward rules');
    await expectHeading(page, 'Reward rules');
    await page.getByText('No rules yet').waitFor();
    await checkpoint(page, 'rules-empty');
    await page.getByRole('link', { name: 'New rule' }).click();
    await expectPath(page, '/admin/rules/new');
    await expectHeading(page, 'New reward rule');

    await page.getByRole('button', { name: 'Preview cost and distribution' }).click();
    await page.getByText('Give the rule a name.').waitFor();

    await page.getByLabel('Rule name').fill('Thanks bonus');
    await page.getByLabel('Trigger').selectOption('thanks_received');
    await page.getByLabel('Per unit').check();
    await page.getByLabel('Points per point of thanks').fill('2');
    await page.getByLabel('Most per person per week').fill('100');
    await page.getByLabel('Programme budget (points, optional)').fill('1000');
    await page.getByText('Thanks are received: 2 points per point of thanks; at most 100 a week per person.').waitFor();
    await page.getByRole('button', { name: 'Preview cost and distribution' }).click();
    // The replay sees the two thanks (0 and 5 points): 2 × 5 = 10 points for one person.
    const preview = page.getByRole('region', { name: 'Preview' });
    await preview.getByRole('term').getByText('Total cost').waitFor();
    assert.equal(await figure(page, 'total'), '10 points');
    assert.equal(await figure(page, 'recipients'), '1');
    assert.equal(await figure(page, 'p50'), '10');
    assert.equal(await figure(page, 'max'), '10');
    assert.equal(await figure(page, 'top10'), '100%');
    assert.equal(await figure(page, 'budget'), '990 of 1,000');
    await preview.getByRole('cell', { name: '10' }).first().waitFor();
    await checkpoint(page, 'rule-preview');

    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL((url) => /^\/admin\/rules\/[0-9a-f-]{36}$/.test(url.pathname));
    await expectHeading(page, 'Thanks bonus');
    await page.getByText('Draft', { exact: true }).first().waitFor();
    await page.getByLabel(/Also award the events of the preview period/).check();
    await page.getByRole('button', { name: 'Enable rule' }).click();
    await page.getByText(/^Enabled\. Events since/).waitFor();
    await page.getByRole('button', { name: 'Pause rule' }).waitFor();
    await page.getByRole('region', { name: 'Versions' }).or(page.getByRole('heading', { name: 'Versions' })).first().waitFor();
    await checkpoint(page, 'rule-enabled');

    await navigate(page, 'Reward rules');
    await page.getByRole('link', { name: 'Thanks bonus' }).waitFor();
    await page.getByText('Active', { exact: true }).waitFor();
    assertClean();
    await context.close();

    // The rules job replays the events and awards the recipient; the ledger says why.
    const bo = await openPage(browser);
    await signIn(bo.page, server.url, RECIPIENT.email, RECIPIENT.password);
    await bo.page.goto(`${server.url}/wallet`);
    await expectHeading(bo.page, 'Wallet');
    const award = bo.page.getByRole('article', { name: 'Rule award, +10 points' });
    await reloadUntil(bo.page, award);
    await award.getByText('Why?').click();
    const why = award.locator('dl');
    await why.getByText('Thanks bonus (version 1)').waitFor();
    await why.getByText('Thanks received', { exact: true }).waitFor();
    await why.getByText('2 points per unit × 5 units = 10').waitFor();
    await why.getByText('100 points; 0 already awarded in', { exact: false }).waitFor();
    assert.equal(await figure(bo.page, 'earned'), '15');
    await checkpoint(bo.page, 'wallet-rule-award');
    bo.assertClean();
    await bo.context.close();
  });

  test('a manager sees team recognition and gives spot awards from the budget', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, MANAGER.email, MANAGER.password);
    await navigate(page, 'Team recognition');
    await expectHeading(page, 'Team recognition');
    await page.locator('.kpi[data-figure="received"]').waitFor();
    assert.equal(await figure(page, 'members'), '3');
    assert.equal(await figure(page, 'available'), '1,000 of 1,000');
    await page.getByText('Awards above 250 points wait for an administrator’s approval', { exact: false }).waitFor();

    await page.getByLabel('Recipient').fill('eli');
    await page.getByRole('button', { name: /^Eli Employee/ }).click();
    await page.getByLabel('Points').fill('20');
    await page.getByLabel('Reason').fill('Covered the Friday support queue.');
    await page.getByRole('button', { name: 'Give spot award' }).click();
    await page.getByText('20 points for Eli Employee are in their wallet.').waitFor();
    await page.locator('.kpi[data-figure="available"] .kpi-value', { hasText: '980 of 1,000' }).waitFor();

    // Above the threshold: reserved, waiting for an administrator.
    await page.getByLabel('Recipient').fill('bo');
    await page.getByRole('button', { name: /^Bo Tester/ }).click();
    await page.getByLabel('Points').fill('300');
    await page.getByText('Above the approval threshold', { exact: false }).waitFor();
    await page.getByLabel('Reason').fill('Led the migration weekend.');
    await page.getByRole('button', { name: 'Request spot award' }).click();
    await page.getByText('300 points for Bo Tester are reserved from your budget until an administrator approves them.').waitFor();
    await page.getByRole('region', { name: 'Spot awards you gave' }).getByText('Waiting for approval').waitFor();
    await checkpoint(page, 'team-recognition');
    assertClean();
    await context.close();
  });

  test('an employee redeems a reward; an administrator approves it; the employee sees the status', async () => {
    // The administrator adds the reward to the catalogue.
    const admin = await openPage(browser);
    await signIn(admin.page, server.url, ADMIN.email, ADMIN.password);
    await navigate(admin.page, 'Rewards catalogue');
    await expectHeading(admin.page, 'Rewards catalogue');
    await admin.page.getByText('The catalogue is empty').waitFor();
    await admin.page.getByLabel('Name').fill(REWARD.name);
    await admin.page.getByLabel('Description').fill('A coffee at the corner café.');
    await admin.page.getByLabel('Cost in points').fill(REWARD.cost);
    await admin.page.getByLabel('Stock').fill('10');
    await admin.page.getByRole('button', { name: 'Add reward' }).click();
    await admin.page.getByText(`${REWARD.name} added to the catalogue.`).waitFor();
    await admin.page.getByRole('cell', { name: '10 left' }).waitFor();
    await checkpoint(admin.page, 'rewards-admin');

    // The employee redeems it.
    const bo = await openPage(browser);
    await signIn(bo.page, server.url, RECIPIENT.email, RECIPIENT.password);
    await navigate(bo.page, 'Rewards');
    await expectHeading(bo.page, 'Rewards');
    await bo.page.getByText('Nothing redeemed yet').waitFor();
    await bo.page.getByRole('button', { name: `Redeem ${REWARD.name}` }).click();
    await bo.page.getByRole('button', { name: `Confirm: spend ${REWARD.cost} points` }).click();
    await bo.page.getByText(`${REWARD.name}: ${REWARD.cost} points are on hold`, { exact: false }).waitFor();
    const mine = bo.page.getByRole('region', { name: 'My redemptions table' });
    await mine.getByText('Waiting for approval').waitFor();
    await checkpoint(bo.page, 'rewards');

    // The administrator approves it (and the manager's pending spot award).
    await navigate(admin.page, 'Approvals');
    await expectHeading(admin.page, 'Approvals');
    await admin.page.getByText(`${RECIPIENT.name}`, { exact: true }).first().waitFor();
    await checkpoint(admin.page, 'approvals');
    await admin.page.getByLabel(`Note for ${RECIPIENT.name} (optional)`).fill('Pick it up at reception.');
    await admin.page.getByRole('button', { name: `Approve ${REWARD.name} for ${RECIPIENT.name}` }).click();
    await admin.page.getByRole('region', { name: 'Reward redemptions' }).or(admin.page.locator('section', { has: admin.page.getByRole('heading', { name: 'Reward redemptions' }) })).getByText('Nothing waiting').first().waitFor();
    await admin.page.getByRole('button', { name: 'Approve award for Bo Tester' }).click();
    await admin.page.locator('section', { has: admin.page.getByRole('heading', { name: 'Spot awards waiting for approval' }) }).getByText('Nothing waiting').waitFor();
    admin.assertClean();
    await admin.context.close();

    // The employee sees the decision, with the note.
    await bo.page.reload();
    await expectHeading(bo.page, 'Rewards');
    await mine.getByText('Approved', { exact: true }).waitFor();
    await mine.getByText('Pick it up at reception.').waitFor();
    await checkpoint(bo.page, 'rewards-approved');
    bo.assertClean();
    await bo.context.close();
  });

  test('an administrator sees the points economy and checks the ledger; settings and the 375 px layout', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, ADMIN.email, ADMIN.password);
    await navigate(page, 'Programme health');
    await expectHeading(page, 'Programme health');
    await page.locator('.kpi[data-figure="liability"]').waitFor();
    // Bo: 5 (thanks) + 10 (rule) + 300 (spot award) − 5 (reward); Eli: 20 (spot award).
    assert.equal(await figure(page, 'liability'), '330');
    assert.equal(await figure(page, 'redeemed'), '5');
    await page.getByRole('link', { name: 'Thanks bonus' }).waitFor();
    await page.getByRole('button', { name: 'Check the ledger' }).click();
    await page.getByText('The ledger is consistent').waitFor();
    await checkpoint(page, 'programme-health-economy');

    // Correct the thanks transaction: a reversal with a reason, never an edit.
    const boToken = await apiToken(server, RECIPIENT.email, RECIPIENT.password);
    const ledger = await apiCall(server, boToken, 'GET', '/api/v1/me/ledger');
    const thanksTx = ledger.items.find((line) => line.kind === 'thanks').transaction_id;
    await page.getByRole('button', { name: 'Reverse transaction' }).click();
    await page.getByText('Paste the transaction’s id', { exact: false }).waitFor();
    await page.getByLabel('Transaction id').fill(thanksTx);
    await page.getByLabel('Reason').fill('Sent to the wrong person by mistake.');
    await page.getByRole('button', { name: 'Reverse transaction' }).click();
    await page.getByText('Transaction reversed').waitFor();
    await page.locator('.kpi[data-figure="liability"] .kpi-value', { hasText: /^325$/ }).waitFor();
    // A second reversal of the same transaction is refused with a readable message.
    await page.getByLabel('Transaction id').fill(thanksTx);
    await page.getByLabel('Reason').fill('Again.');
    await page.getByRole('button', { name: 'Reverse transaction' }).click();
    await page.getByRole('alert').filter({ hasText: 'That did not work' }).waitFor();

    await navigate(page, 'Recognition settings');
    await expectHeading(page, 'Recognition settings');
    await page.getByText('Everyone else (default): 100 points per month').waitFor();
    await page.getByRole('button', { name: `Retire ${VALUE}` }).waitFor();
    await page.getByLabel('Most points in one thanks').fill('40');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await checkpoint(page, 'recognition-settings');
    assertClean();
    await context.close();

    const phone = await openPage(browser, { viewport: MOBILE });
    await signIn(phone.page, server.url, RECIPIENT.email, RECIPIENT.password);
    for (const [path, heading, content, name] of [
      ['/thanks', 'Thanks', '.thanks-card', 'mobile-thanks'],
      ['/wallet', 'Wallet', '.ledger-entry', 'mobile-wallet'],
      ['/rewards', 'Rewards', '.reward-card', 'mobile-rewards'],
      ['/badges', 'Badges', '.badge-card', 'mobile-badges'],
      ['/leaderboard', 'Leaderboard', '.card', 'mobile-leaderboard'],
    ]) {
      await phone.page.goto(`${server.url}${path}`);
      await expectHeading(phone.page, heading);
      await phone.page.locator(content).first().waitFor();
      await assertNoHorizontalOverflow(phone.page);
      await checkpoint(phone.page, name);
    }
    // The recipient's ledger shows the correction, explained.
    await phone.page.goto(`${server.url}/wallet`);
    const correction = phone.page.getByRole('article', { name: 'Correction (reversal), \u22125 points' });
    await correction.getByText('Why?').click();
    await correction.locator('dl').getByText('Thanks', { exact: true }).waitFor();
    phone.assertClean();
    await phone.context.close();
  });

  test('the leaderboard lists only people who opted in and chose to show their rank', async () => {
    const terms = (await apiCall(server, await apiToken(server, RECIPIENT.email, RECIPIENT.password), 'GET', '/api/v1/me/advocacy')).current_terms_version;
    for (const who of [RECIPIENT, GIVER]) {
      await apiCall(server, await apiToken(server, who.email, who.password), 'POST', '/api/v1/me/advocacy/opt-in', { terms_version: terms });
    }
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, RECIPIENT.email, RECIPIENT.password);
    await navigate(page, 'Leaderboard');
    await expectHeading(page, 'Leaderboard');
    await page.getByText('You do not show your rank', { exact: false }).waitFor();
    await page.getByText('No one to rank yet').waitFor();
    await checkpoint(page, 'leaderboard-hidden');
    await page.getByLabel('Show me on leaderboards', { exact: false }).check();
    await page.getByText(/^Your rank: 1 of 1/).waitFor();
    const table = page.getByRole('region', { name: 'Leaderboard table' });
    await table.getByRole('rowheader', { name: RECIPIENT.name }).waitFor();
    // The colleague who did not choose to be shown is not listed.
    assert.equal(await table.getByText(GIVER.name).count(), 0);
    await page.getByLabel('Rank by').selectOption('shares');
    await page.getByRole('heading', { name: / ranked · / }).waitFor();
    await checkpoint(page, 'leaderboard');
    assertClean();
    await context.close();
  });
});

describe('recognition with the demo organisation', () => {
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

  test('an employee’s wallet, thanks and rewards with ninety days of demo data', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('employee'), DEMO_PASSWORD);
    await navigate(page, 'Wallet');
    await expectHeading(page, 'Wallet');
    const entries = page.locator('.ledger-entry');
    await entries.first().waitFor();
    assert.ok((await entries.count()) > 1, 'the demo employee has ledger entries');
    // Every entry with an explanation opens to labelled rows.
    const first = entries.filter({ has: page.getByText('Why?') }).first();
    await first.getByText('Why?').click();
    assert.ok((await first.locator('dl > div').count()) >= 2, 'the explanation has rows');
    await checkpoint(page, 'demo-wallet');

    await navigate(page, 'Thanks');
    await expectHeading(page, 'Thanks');
    await page.locator('.thanks-card').first().waitFor();
    await checkpoint(page, 'demo-thanks');

    await navigate(page, 'Rewards');
    await expectHeading(page, 'Rewards');
    await page.locator('.reward-card').first().waitFor();
    await checkpoint(page, 'demo-rewards');

    await navigate(page, 'Badges');
    await expectHeading(page, 'Badges');
    await page.locator('.badge-card').first().waitFor();
    await checkpoint(page, 'demo-badges');

    await navigate(page, 'Leaderboard');
    await expectHeading(page, 'Leaderboard');
    await page.getByRole('heading', { name: / ranked · / }).waitFor();
    await checkpoint(page, 'demo-leaderboard');
    assertClean();
    await context.close();

    // The dark colour scheme keeps its contrast on the new pages too.
    const dark = await openPage(browser, { colorScheme: 'dark' });
    await signIn(dark.page, server.url, demo('employee'), DEMO_PASSWORD);
    for (const [path, heading, content] of [
      ['/wallet', 'Wallet', '.ledger-entry'],
      ['/thanks', 'Thanks', '.thanks-card'],
    ]) {
      await dark.page.goto(`${server.url}${path}`);
      await expectHeading(dark.page, heading);
      await dark.page.locator(content).first().waitFor();
      await checkpoint(dark.page, `dark${path.replace('/', '-')}`);
    }
    dark.assertClean();
    await dark.context.close();
  });

  test('a manager’s team recognition is shown only as aggregates', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('manager'), DEMO_PASSWORD);
    await navigate(page, 'Team recognition');
    await expectHeading(page, 'Team recognition');
    await page.locator('.kpi[data-figure="members"]').or(page.getByText('Not shown for groups this small')).first().waitFor();
    await page.locator('.kpi[data-figure="available"]').waitFor();
    await checkpoint(page, 'demo-team-recognition');
    assertClean();
    await context.close();
  });

  test('an administrator reviews the demo rules with their versions, previews one, and sees queues and the economy', async () => {
    const { page, context, assertClean } = await openPage(browser);
    await signIn(page, server.url, demo('admin'), DEMO_PASSWORD);
    await navigate(page, 'Reward rules');
    await expectHeading(page, 'Reward rules');
    const rules = page.getByRole('region', { name: 'Rules table' }).locator('tbody tr');
    await rules.first().waitFor();
    await checkpoint(page, 'demo-rules');
    await rules.first().getByRole('link').click();
    await page.waitForURL((url) => /^\/admin\/rules\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.getByRole('heading', { name: 'Versions' }).waitFor();
    await page.getByLabel('Replay').selectOption('90');
    await page.getByRole('button', { name: 'Preview cost and distribution' }).click();
    await page.locator('.kpi[data-figure="p90"]').waitFor();
    assert.match(await figure(page, 'total'), /^[\d,]+ points$/);
    await checkpoint(page, 'demo-rule-editor');
    // Pause and enable again (the preview of this version is on screen).
    const wasActive = (await page.getByRole('button', { name: 'Pause rule' }).count()) > 0;
    if (wasActive) {
      await page.getByRole('button', { name: 'Pause rule' }).click();
      await page.getByText('Paused. The rule awards nothing until it is enabled again.').waitFor();
    }
    await page.getByRole('button', { name: 'Enable rule' }).click();
    await page.getByText('Enabled. New events are awarded from now on.').waitFor();
    await page.getByRole('button', { name: 'Pause rule' }).waitFor();
    await page.setViewportSize(MOBILE);
    await assertNoHorizontalOverflow(page);
    await screenshot(page, 'mobile-rule-editor');
    await page.setViewportSize({ width: 1280, height: 900 });

    await navigate(page, 'Approvals');
    await expectHeading(page, 'Approvals');
    await page.getByRole('heading', { name: 'Reward redemptions' }).waitFor();
    await page.locator('.queue-item').or(page.getByText('Nothing waiting')).first().waitFor();
    await checkpoint(page, 'demo-approvals');

    await navigate(page, 'Rewards catalogue');
    await page.getByRole('region', { name: 'Rewards table' }).waitFor();
    await checkpoint(page, 'demo-rewards-admin');

    await navigate(page, 'Programme health');
    await page.locator('.kpi[data-figure="issued"]').waitFor();
    await page.getByRole('region', { name: 'Rule performance table' }).waitFor();
    await checkpoint(page, 'demo-programme-economy');
    assertClean();
    await context.close();
  });
});
