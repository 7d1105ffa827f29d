import { api } from '../api/client';
import { EmptyState } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { StatusBadge, ResourceState } from './parts';
import { describeRule } from './rule';

/** Reward rules for administrators: what each does, its state, version and spending. */
export function RulesPage() {
  const rules = useResource((signal) => api.recognitionAdmin.rules(signal), []);
  return (
    <>
      <PageHeader
        title="Reward rules"
        description="Rules award points for what people do. Write one, preview what it would have cost over recent events, then enable it. Every change is a new version; every award keeps the version that produced it."
        actions={
          <a class="button button-primary" href="/admin/rules/new">
            New rule
          </a>
        }
      />
      <section class="card card-flush" aria-labelledby="rules-heading">
        <div class="card-header">
          <h2 id="rules-heading">Rules</h2>
        </div>
        <ResourceState resource={rules} loading="Loading rules…" error="Rules could not be loaded" />
        {rules.status === 'ready' && rules.data.items.length === 0 ? (
          <EmptyState title="No rules yet" action={<a class="button button-secondary" href="/admin/rules/new">Write the first rule</a>}>
            <p>Without rules, points come only from thanks and spot awards.</p>
          </EmptyState>
        ) : null}
        {rules.status === 'ready' && rules.data.items.length ? (
          <div class="table-scroll" role="region" aria-label="Rules table" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Version
                  </th>
                  <th scope="col" class="num">
                    Awarded
                  </th>
                  <th scope="col" class="num">
                    Budget
                  </th>
                  <th scope="col">Changed</th>
                </tr>
              </thead>
              <tbody>
                {rules.data.items.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <a href={`/admin/rules/${r.id}`}>{r.name}</a>
                      <span class="cell-detail">{describeRule(r.document)}</span>
                    </th>
                    <td>
                      <StatusBadge status={r.status} />
                      {r.budget_exhausted ? <span class="cell-detail">Budget used up</span> : null}
                    </td>
                    <td class="num">{formatNumber(r.current_version)}</td>
                    <td class="num">{formatNumber(r.spent)}</td>
                    <td class="num">{r.budget === null || r.budget === undefined ? 'None' : formatNumber(r.budget)}</td>
                    <td>{formatDateTime(r.updated_at)}</td>
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
