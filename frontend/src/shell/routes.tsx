// The signed-in part of the app in one table: each entry is a URL (segments starting with `:`
// are parameters), its navigation label, the section it is listed under and the roles that may
// open it. Navigation and access checks both read this table, so a link is shown exactly when
// its page may be opened. Heavy views (dashboards, the post editor, settings) are loaded on
// first use, in their own chunks.

import type { FunctionComponent } from 'preact';
import type { Me, Role } from '../api/types';
import { AdvocacyPage } from '../advocacy/AdvocacyPage';
import { NetworksPage } from '../advocacy/NetworksPage';
import { PeoplePage } from '../admin/PeoplePage';
import { TeamsPage } from '../admin/TeamsPage';
import { FeedPage } from '../feed/FeedPage';
import { SharesPage } from '../feed/SharesPage';
import { HomePage } from '../home/HomePage';
import { lazyView } from '../ui/lazyView';

export type SectionId = 'employee' | 'manager' | 'editor' | 'admin';

export const SECTIONS: readonly { id: SectionId; label: string }[] = [
  { id: 'employee', label: 'You' },
  { id: 'manager', label: 'Manager' },
  { id: 'editor', label: 'Editor' },
  { id: 'admin', label: 'Admin' },
];

export interface ViewProps {
  me: Me;
  /** Values of the path's `:name` segments. */
  params?: Record<string, string>;
}

export interface ShellRoute {
  path: string;
  label: string;
  section: SectionId;
  /** Roles that may open the page; `null` = everyone signed in. */
  roles: readonly Role[] | null;
  view: FunctionComponent<ViewProps>;
  /** Reachable by link, but not listed in the navigation (e.g. an editor for one item). */
  hidden?: boolean;
  /** The navigation entry to mark as current while this page is open. */
  navPath?: string;
}

// A manager can do everything an employee can (SPEC §2).
const PARTICIPANTS: readonly Role[] = ['employee', 'manager'];

const ImpactPage = lazyView(() => import('../impact/ImpactPage').then((m) => m.ImpactPage), 'Loading your impact…');
const TeamReachPage = lazyView<ViewProps>(() => import('../impact/TeamReachPage').then((m) => m.TeamReachPage), 'Loading the dashboard…');
const ProgrammeHealthPage = lazyView(() => import('../impact/ProgrammeHealthPage').then((m) => m.ProgrammeHealthPage), 'Loading programme health…');
const PostsPage = lazyView(() => import('../content/PostsPage').then((m) => m.PostsPage), 'Loading posts…');
const PostEditorPage = lazyView<ViewProps>(() => import('../content/PostEditorPage').then((m) => m.PostEditorPage), 'Loading the editor…');
const CampaignsPage = lazyView(() => import('../content/CampaignsPage').then((m) => m.CampaignsPage), 'Loading campaigns…');
const SuggestionsPage = lazyView(() => import('../content/SuggestionsPage').then((m) => m.SuggestionsPage), 'Loading suggestions…');
const SuggestPage = lazyView<ViewProps>(() => import('../content/SuggestPage').then((m) => m.SuggestPage), 'Loading…');
const EmvPage = lazyView(() => import('../admin/EmvPage').then((m) => m.EmvPage), 'Loading EMV rates…');
const ThanksPage = lazyView<ViewProps>(() => import('../recognition/ThanksPage').then((m) => m.ThanksPage), 'Loading thanks…');
const WalletPage = lazyView(() => import('../recognition/WalletPage').then((m) => m.WalletPage), 'Loading your wallet…');
const RewardsPage = lazyView(() => import('../recognition/RewardsPage').then((m) => m.RewardsPage), 'Loading rewards…');
const TeamRecognitionPage = lazyView<ViewProps>(() => import('../recognition/TeamRecognitionPage').then((m) => m.TeamRecognitionPage), 'Loading team recognition…');
const RulesPage = lazyView(() => import('../recognition/RulesPage').then((m) => m.RulesPage), 'Loading rules…');
const RuleEditorPage = lazyView<ViewProps>(() => import('../recognition/RuleEditorPage').then((m) => m.RuleEditorPage), 'Loading the rule editor…');
const RecognitionSettingsPage = lazyView(() => import('../recognition/RecognitionSettingsPage').then((m) => m.RecognitionSettingsPage), 'Loading settings…');
const RewardsAdminPage = lazyView(() => import('../recognition/RewardsAdminPage').then((m) => m.RewardsAdminPage), 'Loading the catalogue…');
const ApprovalsPage = lazyView(() => import('../recognition/ApprovalsPage').then((m) => m.ApprovalsPage), 'Loading approvals…');
const BadgesPage = lazyView(() => import('../recognition/BadgesPage').then((m) => m.BadgesPage), 'Loading your badges…');
const LeaderboardPage = lazyView<ViewProps>(() => import('../recognition/LeaderboardPage').then((m) => m.LeaderboardPage), 'Loading the leaderboard…');
const BadgesAdminPage = lazyView(() => import('../recognition/BadgesAdminPage').then((m) => m.BadgesAdminPage), 'Loading badges…');
const MyDataPage = lazyView<ViewProps>(() => import('../me/MyDataPage').then((m) => m.MyDataPage), 'Loading…');
const IntegrationsPage = lazyView(() => import('../admin/IntegrationsPage').then((m) => m.IntegrationsPage), 'Loading integrations…');

export const SHELL_ROUTES: readonly ShellRoute[] = [
  { path: '/', label: 'Home', section: 'employee', roles: null, view: HomePage },
  { path: '/feed', label: 'Share news', section: 'employee', roles: PARTICIPANTS, view: FeedPage },
  { path: '/shares', label: 'My shares', section: 'employee', roles: PARTICIPANTS, view: SharesPage },
  { path: '/impact', label: 'My impact', section: 'employee', roles: PARTICIPANTS, view: ImpactPage },
  { path: '/networks', label: 'Networks', section: 'employee', roles: PARTICIPANTS, view: NetworksPage },
  { path: '/advocacy', label: 'Advocacy programme', section: 'employee', roles: PARTICIPANTS, view: AdvocacyPage },
  { path: '/suggest', label: 'Suggest a post', section: 'employee', roles: PARTICIPANTS, view: SuggestPage },
  { path: '/thanks', label: 'Thanks', section: 'employee', roles: null, view: ThanksPage },
  { path: '/wallet', label: 'Wallet', section: 'employee', roles: null, view: WalletPage },
  { path: '/rewards', label: 'Rewards', section: 'employee', roles: null, view: RewardsPage },
  { path: '/badges', label: 'Badges', section: 'employee', roles: PARTICIPANTS, view: BadgesPage },
  { path: '/leaderboard', label: 'Leaderboard', section: 'employee', roles: PARTICIPANTS, view: LeaderboardPage },
  { path: '/my-data', label: 'My data', section: 'employee', roles: null, view: MyDataPage },
  { path: '/team-reach', label: 'Team reach', section: 'manager', roles: ['manager', 'admin'], view: TeamReachPage },
  { path: '/team-recognition', label: 'Team recognition', section: 'manager', roles: ['manager', 'admin'], view: TeamRecognitionPage },
  { path: '/content', label: 'Posts', section: 'editor', roles: ['editor'], view: PostsPage },
  { path: '/content/new', label: 'New post', section: 'editor', roles: ['editor'], view: PostEditorPage, hidden: true, navPath: '/content' },
  { path: '/content/posts/:id', label: 'Edit post', section: 'editor', roles: ['editor'], view: PostEditorPage, hidden: true, navPath: '/content' },
  { path: '/content/campaigns', label: 'Campaigns', section: 'editor', roles: ['editor'], view: CampaignsPage },
  { path: '/content/suggestions', label: 'Suggestions', section: 'editor', roles: ['editor'], view: SuggestionsPage },
  { path: '/admin/people', label: 'People', section: 'admin', roles: ['admin'], view: PeoplePage },
  { path: '/admin/teams', label: 'Teams', section: 'admin', roles: ['admin'], view: TeamsPage },
  { path: '/admin/programme', label: 'Programme health', section: 'admin', roles: ['admin'], view: ProgrammeHealthPage },
  { path: '/admin/rules', label: 'Reward rules', section: 'admin', roles: ['admin'], view: RulesPage },
  { path: '/admin/rules/new', label: 'New rule', section: 'admin', roles: ['admin'], view: RuleEditorPage, hidden: true, navPath: '/admin/rules' },
  { path: '/admin/rules/:id', label: 'Edit rule', section: 'admin', roles: ['admin'], view: RuleEditorPage, hidden: true, navPath: '/admin/rules' },
  { path: '/admin/recognition', label: 'Recognition settings', section: 'admin', roles: ['admin'], view: RecognitionSettingsPage },
  { path: '/admin/rewards', label: 'Rewards catalogue', section: 'admin', roles: ['admin'], view: RewardsAdminPage },
  { path: '/admin/badges', label: 'Badge definitions', section: 'admin', roles: ['admin'], view: BadgesAdminPage },
  { path: '/admin/approvals', label: 'Approvals', section: 'admin', roles: ['admin'], view: ApprovalsPage },
  { path: '/admin/emv', label: 'EMV rates', section: 'admin', roles: ['admin'], view: EmvPage },
  { path: '/admin/integrations', label: 'Integrations', section: 'admin', roles: ['admin'], view: IntegrationsPage },
];

export function canOpen(route: ShellRoute, me: Me): boolean {
  return route.roles === null || route.roles.some((role) => me.roles.includes(role));
}

/** The parameters of `path` for a route pattern, or null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = (path.length > 1 ? path.replace(/\/+$/, '') : path).split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      if (!g) return null;
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

export function findRoute(path: string): { route: ShellRoute; params: Record<string, string> } | undefined {
  for (const route of SHELL_ROUTES) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}
