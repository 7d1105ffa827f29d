import type { Me } from '../api/types';
import { api } from '../api/client';
import { useResource } from '../ui/useResource';
import { formatCount, roleLabel } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';

export function HomePage({ me }: { me: Me }) {
  const isManager = me.roles.includes('manager');
  const participates = me.roles.includes('employee') || isManager;
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
      {participates ? <GetStarted organisation={me.organisation.name} /> : null}
    </>
  );
}

/** Where to go next: the programme first (consent), then the feed. */
function GetStarted({ organisation }: { organisation: string }) {
  const consent = useResource((signal) => api.advocacy.consent(signal), []);
  const optedIn = consent.status === 'ready' ? consent.data.opted_in : null;
  return (
    <section class="card" aria-labelledby="start-heading">
      <h2 id="start-heading">Share {organisation}'s news</h2>
      {optedIn === false ? (
        <>
          <p>
            Taking part is your choice: nothing is tracked until you opt in. Read what the programme means for you, then decide.
          </p>
          <p class="button-row">
            <a class="button button-primary" href="/advocacy">
              Read the terms and opt in
            </a>
            <a class="button button-secondary" href="/feed">
              Browse the news
            </a>
          </p>
        </>
      ) : (
        <>
          <p>Posts to share are waiting in your feed, newest first. Sharing takes three taps: pick a network, adjust the text, post.</p>
          <p class="button-row">
            <a class="button button-primary" href="/feed">
              Share news
            </a>
            <a class="button button-secondary" href="/impact">
              See my impact
            </a>
          </p>
        </>
      )}
    </section>
  );
}
