// The signed-in part of the app in one table: each entry is a URL, its navigation label,
// the section it is listed under and the roles that may open it. Navigation and access
// checks both read this table, so a link is shown exactly when its page may be opened.

import type { FunctionComponent } from 'preact';
import type { Me, Role } from '../api/types';
import { PeoplePage } from '../admin/PeoplePage';
import { TeamsPage } from '../admin/TeamsPage';
import { HomePage } from '../home/HomePage';
import { ComingSoon } from '../pages/ComingSoon';

export type SectionId = 'employee' | 'manager' | 'editor' | 'admin';

export const SECTIONS: readonly { id: SectionId; label: string }[] = [
  { id: 'employee', label: 'You' },
  { id: 'manager', label: 'Manager' },
  { id: 'editor', label: 'Editor' },
  { id: 'admin', label: 'Admin' },
];

export interface ShellRoute {
  path: string;
  label: string;
  section: SectionId;
  /** Roles that may open the page; `null` = everyone signed in. */
  roles: readonly Role[] | null;
  view: FunctionComponent<{ me: Me }>;
}

// A manager can do everything an employee can (SPEC §2).
const PARTICIPANTS: readonly Role[] = ['employee', 'manager'];

export const SHELL_ROUTES: readonly ShellRoute[] = [
  { path: '/', label: 'Home', section: 'employee', roles: null, view: HomePage },
  {
    path: '/impact',
    label: 'My impact',
    section: 'employee',
    roles: PARTICIPANTS,
    view: () => (
      <ComingSoon
        title="My impact"
        description="Your shares, human clicks, unique visitors and potential reach will appear here, each labelled with how it was measured."
      />
    ),
  },
  {
    path: '/wallet',
    label: 'Wallet',
    section: 'employee',
    roles: PARTICIPANTS,
    view: () => (
      <ComingSoon
        title="Wallet"
        description="Your points, the thanks you have given and received, and every ledger entry with the rule that produced it will appear here."
      />
    ),
  },
  {
    path: '/team-reach',
    label: 'Team reach',
    section: 'manager',
    roles: ['manager'],
    view: () => (
      <ComingSoon
        title="Team reach"
        description="Reach dashboards for the teams you manage. They show team totals only; groups too small to stay anonymous are folded into “other”."
      />
    ),
  },
  {
    path: '/content',
    label: 'Content',
    section: 'editor',
    roles: ['editor'],
    view: () => (
      <ComingSoon
        title="Content"
        description="Publish and schedule posts and campaigns, and review the posts employees suggest."
      />
    ),
  },
  { path: '/admin/people', label: 'People', section: 'admin', roles: ['admin'], view: PeoplePage },
  { path: '/admin/teams', label: 'Teams', section: 'admin', roles: ['admin'], view: TeamsPage },
];

export function canOpen(route: ShellRoute, me: Me): boolean {
  return route.roles === null || route.roles.some((role) => me.roles.includes(role));
}

export function findRoute(path: string): ShellRoute | undefined {
  return SHELL_ROUTES.find((route) => route.path === path);
}
