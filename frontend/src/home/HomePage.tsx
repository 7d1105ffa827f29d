import type { Me } from '../api/types';
import { EmptyState } from '../ui/feedback';
import { formatCount, roleLabel } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';

export function HomePage({ me }: { me: Me }) {
  const isManager = me.roles.includes('manager');
  return (
    <>
      <PageHeader title={`Welcome, ${me.display_name}`} description={`You are signed in to ${me.organisation.name}.`} />
      <section class="card" aria-labelledby="account-heading">
        <h2 id="account-heading">Your account</h2>
        <dl class="details">
          <div>
            <dt>Name</dt>
            <dd>{me.display_name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{me.email}</dd>
          </div>
          <div>
            <dt>Organisation</dt>
            <dd>{me.organisation.name}</dd>
          </div>
          <div>
            <dt>Roles</dt>
            <dd>
              {me.roles.length ? (
                <ul class="badges" aria-label="Roles">
                  {me.roles.map((role) => (
                    <li key={role} class="badge">
                      {roleLabel(role)}
                    </li>
                  ))}
                </ul>
              ) : (
                <span class="muted">No roles assigned yet</span>
              )}
            </dd>
          </div>
          {isManager ? (
            <div>
              <dt>Teams you manage</dt>
              <dd>{formatCount(me.managed_team_ids.length, 'team')}</dd>
            </div>
          ) : null}
        </dl>
      </section>
      <section class="card" aria-labelledby="feed-heading">
        <h2 id="feed-heading">Your feed</h2>
        <EmptyState title="Nothing to share yet">
          <p>
            When {me.organisation.name} publishes news for you to share, it will appear here, newest first. Taking part
            is your choice: nothing is tracked until you opt in.
          </p>
        </EmptyState>
      </section>
    </>
  );
}
