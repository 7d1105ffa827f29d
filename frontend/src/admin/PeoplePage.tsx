import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api } from '../api/client';
import type { Me, Team, UserSummary } from '../api/types';
import { EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatDate, roleLabel } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { Pagination } from '../ui/Pagination';
import { useResource } from '../ui/useResource';
import { InviteForm } from './InviteForm';

export const PEOPLE_PAGE_SIZE = 25;

export function PeoplePage({ me }: { me: Me }) {
  const { query } = useLocation();
  const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
  const offset = (page - 1) * PEOPLE_PAGE_SIZE;
  const users = useResource((signal) => api.admin.listUsers({ limit: PEOPLE_PAGE_SIZE, offset }, signal), [offset]);
  // Only used to name teams and offer them in the invite form; the list works without it.
  const teams = useResource((signal) => api.admin.listTeams(signal), []);
  const [inviting, setInviting] = useState(false);
  const teamList: Team[] | null = teams.status === 'ready' ? teams.data.items : null;

  return (
    <>
      <PageHeader
        title="People"
        description={`Everyone with an account in ${me.organisation.name}.`}
        actions={
          <button
            type="button"
            class={inviting ? 'button button-secondary' : 'button button-primary'}
            aria-expanded={inviting}
            aria-controls="invite-panel"
            onClick={() => setInviting((v) => !v)}
          >
            {inviting ? 'Close invitation form' : 'Invite someone'}
          </button>
        }
      />
      {inviting ? (
        <section id="invite-panel" class="card" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite someone</h2>
          <InviteForm teams={teamList} onInvited={users.reload} />
        </section>
      ) : null}
      <section class="card card-flush" aria-labelledby="people-heading">
        <h2 id="people-heading" class="visually-hidden">
          People list
        </h2>
        {users.status === 'loading' ? <Loading label="Loading people…" /> : null}
        {users.status === 'error' ? <ErrorState error={users.error} onRetry={users.reload} title="People could not be loaded" /> : null}
        {users.status === 'ready' ? (
          <PeopleTable
            users={users.data.items}
            total={users.data.total}
            page={page}
            offset={offset}
            teams={teamList}
            onInvite={() => setInviting(true)}
          />
        ) : null}
      </section>
    </>
  );
}

function PeopleTable({
  users,
  total,
  page,
  offset,
  teams,
  onInvite,
}: {
  users: UserSummary[];
  total: number;
  page: number;
  offset: number;
  teams: Team[] | null;
  onInvite: () => void;
}) {
  if (users.length === 0) {
    if (total > 0) {
      return (
        <EmptyState title="This page is empty" action={<a href="/admin/people">Go to the first page</a>}>
          <p>There are {total} people, but none on page {page}.</p>
        </EmptyState>
      );
    }
    return (
      <EmptyState
        title="No people yet"
        action={
          <button type="button" class="button button-primary" onClick={onInvite}>
            Invite someone
          </button>
        }
      >
        <p>Invite colleagues by email; they choose their own password when they accept.</p>
      </EmptyState>
    );
  }
  const teamName = (id: string | null | undefined) => {
    if (!id) return <span class="muted">No team</span>;
    const team = teams?.find((t) => t.id === id);
    return team ? team.name : <span class="muted">Unknown team</span>;
  };
  return (
    <>
      <div class="table-scroll" role="region" aria-labelledby="people-caption" tabIndex={0}>
        <table class="table">
          <caption id="people-caption">
            People {offset + 1}–{offset + users.length} of {total}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Roles</th>
              <th scope="col">Team</th>
              <th scope="col">Status</th>
              <th scope="col">Joined</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <th scope="row">{user.display_name}</th>
                <td>{user.email}</td>
                <td>{user.roles.length ? user.roles.map(roleLabel).join(', ') : <span class="muted">None</span>}</td>
                <td>{teamName(user.team_id)}</td>
                <td>
                  <span class={user.status === 'active' ? 'status status-active' : 'status status-inactive'}>
                    {user.status === 'active' ? 'Active' : user.status === 'deleted' ? 'Deleted' : 'Deactivated'}
                  </span>
                </td>
                <td>
                  <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pagination basePath="/admin/people" page={page} pageSize={PEOPLE_PAGE_SIZE} total={total} />
    </>
  );
}
