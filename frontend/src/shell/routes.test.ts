import { describe, expect, it } from 'vitest';
import type { Me } from '../api/types';
import { SHELL_ROUTES, canOpen, findRoute, matchPath } from './routes';

const me = (roles: Me['roles']): Me => ({
  id: 'u',
  email: 'a@b.c',
  display_name: 'A',
  roles,
  managed_team_ids: [],
  organisation: { id: 'o', name: 'O', slug: 'o' },
});

describe('route table', () => {
  it('matches parameters and nothing looser', () => {
    expect(matchPath('/content/posts/:id', '/content/posts/abc-123')).toEqual({ id: 'abc-123' });
    expect(matchPath('/content/posts/:id', '/content/posts/a%20b')).toEqual({ id: 'a b' });
    expect(matchPath('/content/posts/:id', '/content/posts/')).toBeNull();
    expect(matchPath('/content/posts/:id', '/content/posts/a/b')).toBeNull();
    expect(matchPath('/content/posts/:id', '/content/posts/%E0%A4%A')).toBeNull();
    expect(matchPath('/feed', '/feed/')).toEqual({});
    expect(matchPath('/', '/')).toEqual({});
  });

  it('finds the page for a path, with its parameters', () => {
    expect(findRoute('/content/posts/p-1')?.route.label).toBe('Edit post');
    expect(findRoute('/content/posts/p-1')?.params).toEqual({ id: 'p-1' });
    expect(findRoute('/content/new')?.route.navPath).toBe('/content');
    expect(findRoute('/nope')).toBeUndefined();
  });

  it('gives each role its pages: employees share, managers see team reach, editors and admins their tools', () => {
    const open = (roles: Me['roles']) => SHELL_ROUTES.filter((r) => !r.hidden && canOpen(r, me(roles))).map((r) => r.path);
    expect(open(['employee'])).toEqual(['/', '/feed', '/shares', '/impact', '/networks', '/advocacy', '/suggest', '/thanks', '/wallet', '/rewards', '/badges', '/leaderboard', '/my-data']);
    expect(open(['employee', 'manager'])).toEqual(expect.arrayContaining(['/team-reach', '/team-recognition']));
    expect(open(['employee', 'editor'])).toEqual(expect.arrayContaining(['/content', '/content/campaigns', '/content/suggestions']));
    expect(open(['employee', 'admin'])).toEqual(expect.arrayContaining(['/team-reach', '/admin/programme', '/admin/emv', '/admin/integrations', '/admin/rules', '/admin/recognition', '/admin/rewards', '/admin/badges', '/admin/approvals']));
    expect(findRoute('/admin/rules/new')?.route.label).toBe('New rule');
    expect(findRoute('/admin/rules/r-1')?.params).toEqual({ id: 'r-1' });
    expect(open(['employee'])).not.toContain('/team-reach');
    expect(open(['employee'])).not.toContain('/team-recognition');
  });
});
