import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { EmvSetting, Network } from '../api/types';
import { NETWORKS, networkLabel } from '../advocacy/networks';
import { fromLocalInput } from '../content/datetime';
import { SelectField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime, formatMoney } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';

/** The rate in force per network now: the latest version whose start has passed. */
export function currentRates(rates: readonly EmvSetting[], now: Date = new Date()): Map<string, EmvSetting> {
  const current = new Map<string, EmvSetting>();
  for (const r of rates) {
    if (Date.parse(r.effective_from) > now.getTime()) continue;
    const seen = current.get(r.network);
    if (!seen || Date.parse(r.effective_from) > Date.parse(seen.effective_from)) current.set(r.network, r);
  }
  return current;
}

function parseRate(value: string): number | null {
  const n = Number(value.trim().replace(',', '.'));
  return value.trim() && Number.isFinite(n) && n >= 0 ? n : null;
}

/**
 * Earned media value rates: per network a cost per click and per thousand measured
 * impressions, versioned by start date so that past days keep the rates that applied then.
 */
export function EmvPage() {
  const rates = useResource((signal) => api.settings.emvRates(signal), []);
  const [message, setMessage] = useState<string | null>(null);
  const items = rates.status === 'ready' ? [...rates.data.items].sort((a, b) => a.network.localeCompare(b.network) || b.effective_from.localeCompare(a.effective_from)) : [];
  const current = currentRates(items);

  return (
    <>
      <PageHeader
        title="EMV rates"
        description="Earned media value = cost per click × human clicks + cost per thousand × measured impressions ÷ 1000, per network. It is never computed from potential reach."
      />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      <section class="card" aria-labelledby="emv-new-heading">
        <h2 id="emv-new-heading">Add a rate</h2>
        <EmvForm
          onSaved={(r) => {
            setMessage(`${networkLabel(r.network)}: ${formatMoney(r.cpc, r.currency)} per click and ${formatMoney(r.cpm, r.currency)} per thousand impressions from ${formatDateTime(r.effective_from)}.`);
            rates.reload();
          }}
        />
      </section>
      <section class="card card-flush" aria-labelledby="emv-heading">
        <div class="card-header">
          <h2 id="emv-heading">Rate versions</h2>
        </div>
        {rates.status === 'loading' ? <Loading label="Loading rates…" /> : null}
        {rates.status === 'error' ? <ErrorState error={rates.error} onRetry={rates.reload} title="Rates could not be loaded" /> : null}
        {rates.status === 'ready' && items.length === 0 ? (
          <EmptyState title="No rates yet">
            <p>Until you add rates, dashboards show no EMV.</p>
          </EmptyState>
        ) : null}
        {items.length ? (
          <div class="table-scroll" role="region" aria-label="Rate versions table" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Network</th>
                  <th scope="col" class="num">
                    Per click (CPC)
                  </th>
                  <th scope="col" class="num">
                    Per 1,000 impressions (CPM)
                  </th>
                  <th scope="col">From</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => {
                  const inForce = current.get(r.network)?.id === r.id;
                  const future = Date.parse(r.effective_from) > Date.now();
                  return (
                    <tr key={r.id}>
                      <th scope="row">{networkLabel(r.network)}</th>
                      <td class="num">{formatMoney(r.cpc, r.currency)}</td>
                      <td class="num">{formatMoney(r.cpm, r.currency)}</td>
                      <td>{formatDateTime(r.effective_from)}</td>
                      <td>
                        {inForce ? <span class="status status-active">In force</span> : future ? <span class="status status-scheduled">Upcoming</span> : <span class="status status-inactive">Replaced</span>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function EmvForm({ onSaved }: { onSaved: (r: EmvSetting) => void }) {
  const [network, setNetwork] = useState<Network>('linkedin');
  const [cpc, setCpc] = useState('');
  const [cpm, setCpm] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const [from, setFrom] = useState('');
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    const c = parseRate(cpc);
    const m = parseRate(cpm);
    const effective = from.trim() ? fromLocalInput(from) : null;
    const found = {
      cpc: c === null ? 'Enter an amount of 0 or more, e.g. 2.50.' : undefined,
      cpm: m === null ? 'Enter an amount of 0 or more, e.g. 28.' : undefined,
      currency: /^[A-Za-z]{3}$/.test(currency.trim()) ? undefined : 'Enter a three-letter currency code, e.g. EUR.',
      effective_from: from.trim() && !effective ? 'Enter a valid date and time.' : undefined,
    };
    setProblems(found);
    if (Object.values(found).some(Boolean) || c === null || m === null) return;
    setPending(true);
    setError(null);
    try {
      const saved = await api.settings.addEmvRate({ network, cpc: c, cpm: m, currency: currency.trim().toUpperCase(), effective_from: effective });
      setCpc('');
      setCpm('');
      setFrom('');
      onSaved(saved);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  return (
    <form class="form-grid" onSubmit={submit} noValidate aria-busy={pending}>
      <ErrorAlert error={error && !error.hasFieldErrors ? error : null} />
      <SelectField label="Network" value={network} onValue={(v) => setNetwork(v as Network)} options={NETWORKS.map((n) => ({ value: n.id, label: n.label }))} error={fieldError('network')} />
      <TextField label="Cost per click" inputMode="decimal" value={cpc} onValue={setCpc} error={fieldError('cpc')} />
      <TextField label="Cost per 1,000 impressions" inputMode="decimal" value={cpm} onValue={setCpm} error={fieldError('cpm')} />
      <TextField label="Currency" value={currency} onValue={setCurrency} error={fieldError('currency')} maxLength={3} />
      <TextField label="In force from (optional)" type="datetime-local" value={from} onValue={setFrom} error={fieldError('effective_from')} hint="Default: now. Earlier days keep their rates." />
      <div class="form-grid-action">
        <button type="submit" class="button button-primary" disabled={pending}>
          {pending ? 'Saving…' : 'Add rate'}
        </button>
      </div>
    </form>
  );
}
