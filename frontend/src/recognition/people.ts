// Finding a colleague. Thanks search the organisation's colleague directory (`/people?q=`),
// which answers names and teams of active people only. Spot awards pick among the members of
// the teams a manager manages, matched locally.

import { api } from '../api/client';
import type { ColleagueList, Me } from '../api/types';

export interface Person {
  id: string;
  name: string;
  /** A second line (email, team), when known. */
  detail?: string;
}

/**
 * The people whose name (any word of it) or detail starts with `q`, case- and accent-
 * insensitively; those whose full name starts with it first, then alphabetical.
 */
export function matchPeople(people: readonly Person[], q: string, limit = 10): Person[] {
  const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const needle = fold(q.trim());
  if (!needle) return [];
  const scored: { p: Person; rank: number }[] = [];
  for (const p of people) {
    const name = fold(p.name);
    const words = name.split(/[\s.'-]+/);
    if (name.startsWith(needle)) scored.push({ p, rank: 0 });
    else if (words.some((w) => w.startsWith(needle)) || (p.detail && fold(p.detail).startsWith(needle))) scored.push({ p, rank: 1 });
  }
  scored.sort((a, b) => a.rank - b.rank || a.p.name.localeCompare(b.p.name));
  return scored.slice(0, limit).map((s) => s.p);
}

/** How many colleagues one directory search shows. */
export const SEARCH_LIMIT = 10;

/** Directory answers as picker entries (team as the second line), leaving out `exclude`. */
export function colleaguesToPeople(list: ColleagueList, exclude: string): Person[] {
  return list.items
    .filter((c) => c.id !== exclude)
    .map((c) => (c.team_name ? { id: c.id, name: c.display_name, detail: c.team_name } : { id: c.id, name: c.display_name }));
}

/**
 * Searches the organisation's colleague directory (name or email containing `q`) for anyone
 * but `me`; one extra is asked for so that leaving the caller out still fills the list.
 */
export async function searchColleagues(me: Me, q: string, signal?: AbortSignal): Promise<Person[]> {
  const list = await api.people(q.trim(), SEARCH_LIMIT + 1, signal);
  return colleaguesToPeople(list, me.id).slice(0, SEARCH_LIMIT);
}

/** Members of the teams the signed-in manager manages (and the teams below them). */
export async function teamMembers(signal?: AbortSignal): Promise<Person[]> {
  const teams = await api.reach.managedTeams(signal);
  const details = await Promise.all(teams.items.slice(0, 25).map((t) => api.admin.team(t.id, signal)));
  return details.flatMap((team) =>
    team.members.filter((m) => m.status === 'active').map((m) => ({ id: m.id, name: m.display_name, detail: team.name })),
  );
}
