import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { LedgerLine } from '../api/types';
import { DownloadCsvButton } from '../impact/CsvButton';
import { Checkbox, SelectField } from '../ui/Field';
import { EmptyState, ErrorAlert } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { accountLabel, explainRows, kindLabel, signedPoints } from './explain';
import { LeaderboardConsent } from './LeaderboardConsent';
import { Figures, useAction, ResourceState } from './parts';

const LEDGER_PAGE = 25;
const ACCOUNTS = [
  { value: '', label: 'All accounts' },
  { value: 'earned', label: 'Earned' },
  { value: 'giving', label: 'Giving allowance' },
  { value: 'manager_budget', label: 'Spot-award budget' },
];

/** The person's points: balances, every ledger entry with its explanation, email preference. */
export function WalletPage() {
  const wallet = useResource((signal) => api.recognition.wallet(signal), []);
  const [limit, setLimit] = useState(LEDGER_PAGE);
  const [account, setAccount] = useState('');
  const ledger = useResource((signal) => api.recognition.ledger({ limit, offset: 0, ...(account ? { account } : {}) }, signal), [limit, account]);

  return (
    <>
      <PageHeader title="Wallet" description="Points you earned and can redeem, your allowance for thanking others, and every movement with the reason behind it." />
      <section class="card" aria-labelledby="wallet-balances">
        <h2 id="wallet-balances">Balances</h2>
        <ResourceState resource={wallet} loading="Loading your wallet…" error="Your wallet could not be loaded" />
        {wallet.status === 'ready' ? (
          <Figures
            label="Balances"
            figures={[
              { id: 'earned', label: 'Points to spend', value: formatNumber(wallet.data.earned), detail: 'Earned and not yet redeemed' },
              { id: 'held', label: 'On hold', value: formatNumber(wallet.data.held), detail: 'For rewards waiting for approval' },
              { id: 'lifetime', label: 'Earned in total', value: formatNumber(wallet.data.lifetime_earned) },
              {
                id: 'giving',
                label: 'Left to give',
                value: `${formatNumber(wallet.data.giving.available)} of ${formatNumber(wallet.data.giving.amount)}`,
                detail: `This ${wallet.data.giving.period_kind}, until ${formatDateTime(wallet.data.giving.period_ends_at)}`,
              },
            ]}
          />
        ) : null}
        <p>
          <a href="/rewards">Spend points on rewards</a> · <a href="/thanks">Thank a colleague</a>
        </p>
      </section>
      <section class="card card-flush" aria-labelledby="wallet-ledger">
        <div class="card-header">
          <h2 id="wallet-ledger">Ledger</h2>
          <div class="card-actions">
            <SelectField class="field-inline" label="Account" value={account} onValue={(v) => { setAccount(v); setLimit(LEDGER_PAGE); }} options={ACCOUNTS} />
            {ledger.status === 'ready' && ledger.data.items.length ? (
              <DownloadCsvButton load={() => api.recognition.exportCsv('/me/ledger', account ? { account } : {})} name={`chorus-ledger${account ? `-${account}` : ''}.csv`} what="your ledger" />
            ) : null}
          </div>
        </div>
        <ResourceState resource={ledger} loading="Loading entries…" error="Ledger entries could not be loaded" />
        {ledger.status === 'ready' && ledger.data.items.length === 0 ? (
          <EmptyState title={account ? 'No entries in this account' : 'No entries yet'}>
            <p>Points you receive, give or redeem appear here, each with why.</p>
          </EmptyState>
        ) : null}
        {ledger.status === 'ready' && ledger.data.items.length ? (
          <>
            <ul class="ledger-list" aria-label="Ledger entries, newest first">
              {ledger.data.items.map((line) => (
                <li key={line.entry_id}>
                  <LedgerEntry line={line} />
                </li>
              ))}
            </ul>
            {ledger.data.items.length >= limit ? (
              <div class="card-footer">
                <button type="button" class="button button-secondary" onClick={() => setLimit((n) => n + LEDGER_PAGE)}>
                  Show older entries
                </button>
              </div>
            ) : null}
          </>
        ) : null}
      </section>
      <Preferences />
    </>
  );
}

/** One ledger entry: what, when, how much, and its explanation behind a disclosure. */
export function LedgerEntry({ line }: { line: LedgerLine }) {
  const rows = explainRows(line.kind, line.explain);
  return (
    <article class="ledger-entry" aria-label={`${kindLabel(line.kind)}, ${signedPoints(line.amount)} points`}>
      <div class="ledger-main">
        <p class="ledger-what">
          <strong>{kindLabel(line.kind)}</strong>
          {line.reason ? <span> — {line.reason}</span> : null}
        </p>
        <p class="muted ledger-meta">
          <time dateTime={line.created_at}>{formatDateTime(line.created_at)}</time> · {accountLabel(line.account)}
          {line.reverses_id ? ' · corrects an earlier entry' : ''}
        </p>
      </div>
      <p class={line.amount < 0 ? 'ledger-amount is-debit' : 'ledger-amount'}>
        {signedPoints(line.amount)}
        <span class="visually-hidden"> points</span>
      </p>
      {rows.length ? (
        <details class="disclosure ledger-explain">
          <summary>Why?</summary>
          <dl class="details details-compact">
            {rows.map((r) => (
              <div key={r.label}>
                <dt>{r.label}</dt>
                <dd>{r.value}</dd>
              </div>
            ))}
            <div>
              <dt>Transaction</dt>
              <dd class="code">{line.transaction_id}</dd>
            </div>
          </dl>
        </details>
      ) : null}
    </article>
  );
}

function Preferences() {
  const prefs = useResource((signal) => api.recognition.preferences(signal), []);
  const [chosen, setChosen] = useState<boolean | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const value = chosen ?? (prefs.status === 'ready' ? prefs.data.email_on_thanks : false);
  return (
    <section class="card" aria-labelledby="wallet-prefs">
      <h2 id="wallet-prefs">Preferences</h2>
      <h3 class="subheading">Leaderboards</h3>
      <LeaderboardConsent />
      <h3 class="subheading">Recognition emails</h3>
      <ResourceState resource={prefs} loading="Loading preferences…" error="Preferences could not be loaded" />
      {prefs.status === 'ready' ? (
        <>
          <Checkbox
            label="Email me when someone thanks me"
            checked={value}
            disabled={action.pending !== null}
            onChange={(checked) => {
              // Show the choice at once; put it back if it could not be saved.
              setChosen(checked);
              setSaved(false);
              void action
                .run('save', async () => {
                  const next = await api.recognition.setPreferences({ email_on_thanks: checked });
                  setChosen(next.email_on_thanks);
                  setSaved(true);
                })
                .then((ok) => {
                  if (!ok) setChosen(value);
                });
            }}
          />
          <p class="muted" role="status">
            {action.pending ? 'Saving…' : saved ? 'Saved.' : ''}
          </p>
          <ErrorAlert error={action.error} title="Your preference was not saved" />
        </>
      ) : null}
    </section>
  );
}
