import { api } from '../api/client';
import type { Team } from '../api/types';
import { EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatCount } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';

interface TeamNode {
  team: Team;
  children: TeamNode[];
}

/**
 * Arrange teams as the tree they form, siblings by name. Teams whose parent is unknown become
 * roots; so does one member of any parent cycle, so bad data never hides a team or loops.
 */
export function buildTeamTree(teams: readonly Team[]): TeamNode[] {
  const ids = new Set(teams.map((t) => t.id));
  const childrenOf = new Map<string, Team[]>();
  for (const team of teams) {
    if (team.parent_id && team.parent_id !== team.id && ids.has(team.parent_id)) {
      const list = childrenOf.get(team.parent_id) ?? [];
      list.push(team);
      childrenOf.set(team.parent_id, list);
    }
  }
  const byName = (a: Team, b: Team) => a.name.localeCompare(b.name);
  const visited = new Set<string>();
  const build = (team: Team): TeamNode => {
    visited.add(team.id);
    const kids = [...(childrenOf.get(team.id) ?? [])].sort(byName).filter((t) => !visited.has(t.id));
    return { team, children: kids.map(build) };
  };
  const isRoot = (t: Team) => !t.parent_id || t.parent_id === t.id || !ids.has(t.parent_id);
  const roots = teams.filter(isRoot).sort(byName).map(build);
  for (const team of [...teams].sort(byName)) {
    if (!visited.has(team.id)) roots.push(build(team));
  }
  return roots;
}

/** Teams as indented options, parents before their children ("Engineering", "— Platform"). */
export function teamOptions(teams: readonly Team[]): { value: string; label: string }[] {
  const out: { value: string; label: string }[] = [];
  const walk = (nodes: ReturnType<typeof buildTeamTree>, depth: number) => {
    for (const node of nodes) {
      out.push({ value: node.team.id, label: `${'— '.repeat(depth)}${node.team.name}` });
      walk(node.children, depth + 1);
    }
  };
  walk(buildTeamTree(teams), 0);
  return out;
}

export function TeamsPage() {
  const teams = useResource((signal) => api.admin.listTeams(signal), []);
  return (
    <>
      <PageHeader title="Teams" description="Teams form a tree; a manager of a team also sees the teams below it." />
      <section class="card" aria-labelledby="teams-heading">
        <h2 id="teams-heading" class="visually-hidden">
          Team tree
        </h2>
        {teams.status === 'loading' ? <Loading label="Loading teams…" /> : null}
        {teams.status === 'error' ? <ErrorState error={teams.error} onRetry={teams.reload} title="Teams could not be loaded" /> : null}
        {teams.status === 'ready' && teams.data.items.length === 0 ? (
          <EmptyState title="No teams yet">
            <p>Teams group people for dashboards and targeting. None have been created in this organisation yet.</p>
          </EmptyState>
        ) : null}
        {teams.status === 'ready' && teams.data.items.length > 0 ? (
          <>
            <p class="muted">{formatCount(teams.data.items.length, 'team')}</p>
            <TeamList nodes={buildTeamTree(teams.data.items)} top />
          </>
        ) : null}
      </section>
    </>
  );
}

function TeamList({ nodes, top = false }: { nodes: TeamNode[]; top?: boolean }) {
  return (
    <ul class={top ? 'team-tree' : 'team-subtree'}>
      {nodes.map(({ team, children }) => (
        <li key={team.id}>
          <div class="team-row">
            <span class="team-name">{team.name}</span>
            <span class="muted">
              {team.manager_ids.length ? formatCount(team.manager_ids.length, 'manager') : 'No manager'}
              {children.length ? ` · ${formatCount(children.length, 'sub-team')}` : ''}
            </span>
          </div>
          {children.length ? <TeamList nodes={children} /> : null}
        </li>
      ))}
    </ul>
  );
}
