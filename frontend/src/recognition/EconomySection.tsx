import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { ConsistencyReport, Reversal } from '../api/types';
import { DownloadCsvButton } from '../impact/CsvButton';
import { TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert } from '../ui/feedback';
import { formatNumber, formatPercent } from '../ui/format';
import { useResource } from '../ui/useResource';
import { kindLabel } from './explain';
import { Figures, StatusBadge, useAction, ResourceState } from './parts';

/** The points economy on the programme-health page: issued, redeemed, liability, rule burn. */
export function EconomySection() {
  const economy = useResource((signal) => api.recognitionAdmin.economy(signal), []);
  return (
    <>
      <section class="card" aria-labelledby="economy-heading">
        <h2 id="economy-heading">Points economy</h2>
        <p class="muted">Since the programme began (not limited to the period above).</p>
        <ResourceState resource={economy} loading="Loading the points economy…" error="The points economy could not be loaded" />
        {economy.status === 'ready' ? (
          <Figures
            label="Points economy"
            figures={[
              { id: 'issued', label: 'Issued', value: formatNumber(economy.data.issued), detail: 'Rule awards, allowances and manager budgets' },
              { id: 'redeemed', label: 'Redeemed', value: formatNumber(economy.data.redeemed), detail: 'Spent on approved or delivered rewards' },
              { id: 'held', label: 'On hold', value: formatNumber(economy.data.held), detail: 'Redemptions waiting for a decision' },
              { id: 'liability', label: 'Outstanding liability', value: formatNumber(economy.data.outstanding_liability), detail: 'Earned points people could still redeem' },
              { id: 'unspent', label: 'Unspent allowances', value: formatNumber(economy.data.unspent_allowances), detail: 'Giving allowances and manager budgets' },
            ]}
          />
        ) : null}
      </section>
      {economy.status === 'ready' ? (
        <section class="card card-flush" aria-labelledby="economy-rules-heading">
          <div class="card-header">
            <h2 id="economy-rules-heading">Issued by rule and budget burn</h2>
            {economy.data.rules.length ? <DownloadCsvButton load={() => api.recognition.exportCsv('/admin/recognition/economy')} name="chorus-rule-performance.csv" what="rule performance" /> : null}
          </div>
          {economy.data.rules.length === 0 ? (
            <EmptyState title="No rules yet">
              <p>
                <a href="/admin/rules/new">Write a reward rule</a> to award points for sharing.
              </p>
            </EmptyState>
          ) : (
            <div class="table-scroll" role="region" aria-label="Rule performance table" tabIndex={0}>
              <table class="table">
                <thead>
                  <tr>
                    <th scope="col">Rule</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Points
                    </th>
                    <th scope="col" class="num">
                      Awards
                    </th>
                    <th scope="col" class="num">
                      Recipients
                    </th>
                    <th scope="col" class="num">
                      Reduced by caps
                    </th>
                    <th scope="col">Budget burn</th>
                  </tr>
                </thead>
                <tbody>
                  {economy.data.rules.map((r) => (
                    <tr key={r.rule_id}>
                      <th scope="row">
                        <a href={`/admin/rules/${r.rule_id}`}>{r.name}</a>
                      </th>
                      <td>
                        <StatusBadge status={r.status} />
                      </td>
                      <td class="num">{formatNumber(r.points)}</td>
                      <td class="num">{formatNumber(r.awards)}</td>
                      <td class="num">{formatNumber(r.recipients)}</td>
                      <td class="num">{formatNumber(r.limited_awards)}</td>
                      <td>
                        {r.budget_burn !== null && r.budget_burn !== undefined && r.budget ? (
                          <span class="meter-row">
                            <meter min={0} max={1} value={Math.min(1, r.budget_burn)} aria-label={`Budget used by ${r.name}`} />
                            <span>
                              {formatPercent(r.budget_burn)} of {formatNumber(r.budget)}
                            </span>
                          </span>
                        ) : (
                          'No budget'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {economy.data.by_kind.length ? (
            <div class="table-scroll" role="region" aria-label="Points by transaction kind" tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">Points by transaction kind</caption>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col" class="num">
                      Points
                    </th>
                    <th scope="col" class="num">
                      Transactions
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {economy.data.by_kind.map((k) => (
                    <tr key={k.kind}>
                      <th scope="row">{kindLabel(k.kind)}</th>
                      <td class="num">{formatNumber(k.points)}</td>
                      <td class="num">{formatNumber(k.transactions)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
      ) : null}
      <LedgerTools onChanged={economy.reload} />
    </>
  );
}

function LedgerTools({ onChanged }: { onChanged: () => void }) {
  const [report, setReport] = useState<ConsistencyReport | null>(null);
  const [txId, setTxId] = useState('');
  const [reason, setReason] = useState('');
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [reversed, setReversed] = useState<Reversal | null>(null);
  const action = useAction();

  async function reverse(e: Event) {
    e.preventDefault();
    const id = txId.trim();
    const found = {
      id: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? undefined : 'Paste the transaction’s id (shown under “Why?” in a wallet).',
      reason: !reason.trim() ? 'Say why the transaction is corrected.' : reason.length > 500 ? 'Keep the reason to 500 characters.' : undefined,
    };
    setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    setReversed(null);
    if (await action.run('reverse', async () => setReversed(await api.recognitionAdmin.reverse(id, reason.trim())))) {
      setTxId('');
      setReason('');
      onChanged();
    }
  }

  return (
    <section class="card" aria-labelledby="ledger-tools-heading">
      <h2 id="ledger-tools-heading">Ledger checks and corrections</h2>
      <h3 class="subheading">Consistency</h3>
      <p class="muted">Recomputes every balance from its entries and checks that every transaction sums to zero.</p>
      <button type="button" class="button button-secondary" disabled={action.pending !== null} onClick={() => void action.run('check', async () => setReport(await api.recognitionAdmin.consistency()))}>
        {action.pending === 'check' ? 'Checking…' : 'Check the ledger'}
      </button>
      {report ? (
        <Alert kind={report.consistent ? 'success' : 'error'} title={report.consistent ? 'The ledger is consistent' : 'The ledger has problems'}>
          <p>
            {formatNumber(report.accounts)} accounts, {formatNumber(report.transactions)} transactions and {formatNumber(report.entries)} entries checked in {formatNumber(report.elapsed_ms)} ms.
          </p>
          {!report.consistent ? (
            <ul>
              {report.mismatched_accounts.map((m) => (
                <li key={m.account_id}>
                  Account {m.account_id.slice(0, 8)} ({m.kind}): balance {formatNumber(m.balance)}, entries sum to {formatNumber(m.sum_of_entries)}
                </li>
              ))}
              {report.unbalanced_transactions.map((t) => (
                <li key={t}>Transaction {t} does not sum to zero</li>
              ))}
              {report.negative_accounts.map((a) => (
                <li key={a}>Account {a} is negative</li>
              ))}
            </ul>
          ) : null}
        </Alert>
      ) : null}
      <h3 class="subheading">Reverse a transaction</h3>
      <p class="muted">Corrections never edit the ledger: a reversing transaction is posted, with your reason, and audited.</p>
      {reversed ? (
        <Alert kind="success" title="Transaction reversed">
          <p>
            Reversal <span class="code">{reversed.transaction_id}</span> corrects <span class="code">{reversed.reverses_id}</span>.
          </p>
        </Alert>
      ) : null}
      <ErrorAlert error={action.error && !action.error.hasFieldErrors ? action.error : null} title="That did not work" />
      <form class="form-grid" onSubmit={reverse} noValidate>
        <TextField label="Transaction id" value={txId} onValue={setTxId} error={problems.id} />
        <TextAreaField label="Reason" value={reason} onValue={setReason} rows={2} maxLength={500} error={problems.reason ?? action.error?.fieldErrors.reason} />
        <div class="form-grid-action">
          <button type="submit" class="button button-danger" disabled={action.pending !== null}>
            {action.pending === 'reverse' ? 'Reversing…' : 'Reverse transaction'}
          </button>
        </div>
      </form>
    </section>
  );
}
