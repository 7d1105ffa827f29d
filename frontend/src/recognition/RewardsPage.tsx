import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { RedemptionView, RewardView } from '../api/types';
import { Alert, EmptyState, ErrorAlert } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { periodLabel, StatusBadge, useAction, ResourceState } from './parts';

/** What a reward's limits say, e.g. "12 left · 1 per person per month". */
export function rewardLimits(r: Pick<RewardView, 'stock' | 'per_user_limit' | 'limit_period'>): string {
  const parts = [r.stock === null || r.stock === undefined ? 'Unlimited stock' : r.stock === 0 ? 'Out of stock' : `${formatNumber(r.stock)} left`];
  if (r.per_user_limit > 0) parts.push(`${formatNumber(r.per_user_limit)} per person per ${periodLabel(r.limit_period)}`);
  return parts.join(' · ');
}

/** The rewards catalogue with redemption, and the person's redemptions with their status. */
export function RewardsPage() {
  const wallet = useResource((signal) => api.recognition.wallet(signal), []);
  const catalogue = useResource((signal) => api.recognition.catalogue(false, signal), []);
  const mine = useResource((signal) => api.recognition.myRedemptions(signal), []);
  const action = useAction();
  const [done, setDone] = useState<RedemptionView | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const balance = wallet.status === 'ready' ? wallet.data.earned : null;

  async function redeem(r: RewardView) {
    const ok = await action.run(r.id, async () => setDone(await api.recognition.redeem(r.id)));
    setConfirming(null);
    if (ok) {
      wallet.reload();
      catalogue.reload();
      mine.reload();
    }
  }

  return (
    <>
      <PageHeader
        title="Rewards"
        description={balance === null ? 'Spend the points you earned.' : `You have ${formatNumber(balance)} points to spend. A redemption holds the points until an administrator approves it.`}
      />
      {done ? (
        <Alert kind="success" title="Reward requested">
          <p>
            {done.reward_name}: {formatNumber(done.cost)} points are on hold until an administrator decides. You can follow it below.
          </p>
        </Alert>
      ) : null}
      <ErrorAlert error={action.error} title="The reward was not redeemed" />
      <section class="card" aria-labelledby="rewards-catalogue">
        <h2 id="rewards-catalogue">Catalogue</h2>
        <ResourceState resource={catalogue} loading="Loading rewards…" error="Rewards could not be loaded" />
        {catalogue.status === 'ready' && catalogue.data.items.length === 0 ? (
          <EmptyState title="No rewards yet">
            <p>Your organisation has not added rewards to the catalogue yet.</p>
          </EmptyState>
        ) : null}
        {catalogue.status === 'ready' && catalogue.data.items.length ? (
          <ul class="reward-grid">
            {catalogue.data.items.map((r) => {
              const short = balance !== null && balance < r.cost;
              const out = r.stock === 0;
              return (
                <li key={r.id} class="reward-card">
                  <h3>{r.name}</h3>
                  {r.description ? <p>{r.description}</p> : null}
                  <p class="reward-cost">{formatNumber(r.cost)} points</p>
                  <p class="muted">{rewardLimits(r)}</p>
                  {confirming === r.id ? (
                    <div class="button-row">
                      <button type="button" class="button button-primary" disabled={action.pending !== null} onClick={() => void redeem(r)}>
                        {action.pending === r.id ? 'Redeeming…' : `Confirm: spend ${formatNumber(r.cost)} points`}
                      </button>
                      <button type="button" class="button button-secondary" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </div>
                  ) : (
                    <button type="button" class="button button-secondary" disabled={short || out} onClick={() => setConfirming(r.id)}>
                      Redeem<span class="visually-hidden"> {r.name}</span>
                    </button>
                  )}
                  {short && !out ? <p class="muted">You need {formatNumber(r.cost - (balance ?? 0))} more points.</p> : null}
                </li>
              );
            })}
          </ul>
        ) : null}
      </section>
      <section class="card card-flush" aria-labelledby="rewards-mine">
        <div class="card-header">
          <h2 id="rewards-mine">My redemptions</h2>
        </div>
        <ResourceState resource={mine} loading="Loading your redemptions…" error="Your redemptions could not be loaded" />
        {mine.status === 'ready' && mine.data.items.length === 0 ? (
          <EmptyState title="Nothing redeemed yet">
            <p>Rewards you redeem appear here with their status.</p>
          </EmptyState>
        ) : null}
        {mine.status === 'ready' && mine.data.items.length ? (
          <div class="table-scroll" role="region" aria-label="My redemptions table" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Reward</th>
                  <th scope="col" class="num">
                    Points
                  </th>
                  <th scope="col">Requested</th>
                  <th scope="col">Status</th>
                  <th scope="col">Note</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {mine.data.items.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">{r.reward_name}</th>
                    <td class="num">{formatNumber(r.cost)}</td>
                    <td>{formatDateTime(r.created_at)}</td>
                    <td>
                      <StatusBadge status={r.status} />
                      {r.decided_at ? <span class="cell-detail">{formatDateTime(r.decided_at)}</span> : null}
                    </td>
                    <td>{r.note ?? ''}</td>
                    <td>
                      {r.status === 'requested' ? (
                        <button
                          type="button"
                          class="button button-secondary button-small"
                          disabled={action.pending !== null}
                          onClick={() =>
                            void action.run(`cancel-${r.id}`, api.recognition.cancelRedemption.bind(null, r.id)).then((ok) => {
                              if (ok) {
                                mine.reload();
                                wallet.reload();
                                catalogue.reload();
                              }
                            })
                          }
                        >
                          Cancel<span class="visually-hidden"> {r.reward_name}</span>
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
