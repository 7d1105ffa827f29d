// Giving thanks through the real app shell, router and API client against a scripted server:
// the colleague is found through the colleague directory (debounced, the caller left out), the
// allowance is checked on the page, and the request carries exactly what was chosen.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { button, field, json, mountApp, tick, type } from '../testing/app';

const ME = {
  id: 'u-1',
  email: 'emma@example.test',
  display_name: 'Emma Employee',
  roles: ['employee'],
  team_id: 't-1',
  managed_team_ids: [],
  organisation: { id: 'o-1', name: 'Acme Corp', slug: 'acme' },
};

const WALL_ITEM = {
  id: 'th-0',
  created_at: '2026-11-20T10:00:00Z',
  giver_id: 'u-9',
  giver_name: 'Ana Lima',
  recipient_id: 'u-2',
  recipient_name: 'Bo Chen',
  message: 'Welcome!',
  my_reactions: [],
  points: 0,
  private: false,
  reactions: { clap: 2 },
};

const DIRECTORY = [
  { id: 'u-1', display_name: 'Emma Employee', team_name: 'Growth' },
  { id: 'u-2', display_name: 'Bo Chen', team_name: 'Platform' },
  { id: 'u-3', display_name: 'Cho Park', team_name: null },
];

const WALLET = {
  earned: 0,
  held: 0,
  lifetime_earned: 0,
  giving: { amount: 100, available: 40, given: 60, period: '2026-11', period_ends_at: '2026-12-01T00:00:00Z', period_kind: 'month' },
};

let unmount: (() => void) | undefined;

afterEach(() => unmount?.());

describe('giving thanks', () => {
  it('finds a colleague in the directory, checks the allowance, and sends what was chosen', async () => {
    const sent: unknown[] = [];
    const searches: string[] = [];
    const app = await mountApp('/thanks', (path, method, body, url) => {
      if (path === '/api/v1/people') {
        const query = new URL(url, 'http://localhost').searchParams;
        const q = (query.get('q') ?? '').toLowerCase();
        searches.push(q);
        return json(200, { items: DIRECTORY.filter((p) => p.display_name.toLowerCase().includes(q)).slice(0, Number(query.get('limit'))) });
      }
      if (path === '/api/v1/me') return json(200, ME);
      if (path === '/api/v1/thanks/wall') return json(200, { items: [WALL_ITEM] });
      if (path === '/api/v1/me/thanks') return json(200, { items: [] });
      if (path === '/api/v1/me/wallet') return json(200, WALLET);
      if (path === '/api/v1/recognition/values') return json(200, { items: [{ id: 'v-1', name: 'Customer first', description: '', active: true }, { id: 'v-2', name: 'Old value', description: '', active: false }] });
      if (path === '/api/v1/thanks' && method === 'POST') {
        const input = body as { message: string; points: number; value_id: string };
        sent.push(body);
        return json(201, { ...WALL_ITEM, id: 'th-1', giver_id: 'u-1', giver_name: 'Emma Employee', message: input.message, points: input.points, value_id: input.value_id, value_name: 'Customer first' });
      }
      return undefined;
    });
    unmount = app.unmount;
    const root = app.root;

    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('Thanks'));
    await vi.waitFor(() => expect(root.textContent).toContain('40 of 100 left to give this month'));
    // Retired values are not offered.
    const values = [...field<HTMLSelectElement>('Company value (optional)').options].map((o) => o.textContent);
    expect(values).toEqual(['No value', 'Customer first']);

    // The directory is asked once typing pauses; the caller is never offered.
    const search = field<HTMLInputElement>('Who do you want to thank?');
    await type(search, 'zed');
    await vi.waitFor(() => expect(root.textContent).toContain('No one found for “zed”.'));
    await type(search, 'e');
    await vi.waitFor(() => expect(searches.at(-1)).toBe('e'));
    await vi.waitFor(() => button('Bo Chen Platform'));
    expect(root.querySelector('.person-results')?.textContent).not.toContain('Emma');
    await type(search, 'ch');
    await vi.waitFor(() => expect(root.textContent).toContain('Platform'));
    await vi.waitFor(() => button('Cho Park'));
    button('Bo Chen Platform').click();
    await vi.waitFor(() => expect(root.querySelector('.picked-person')?.textContent).toContain('Bo Chen'));

    // More points than are left is refused on the page; nothing is sent.
    await type(field<HTMLInputElement>('Points'), '60');
    await type(field<HTMLTextAreaElement>('Message'), 'Thanks for the review.');
    button('Send thanks').click();
    await vi.waitFor(() => expect(root.textContent).toContain('You have 40 points left to give this month.'));
    expect(sent).toEqual([]);

    await type(field<HTMLInputElement>('Points'), '5');
    const select = field<HTMLSelectElement>('Company value (optional)');
    select.value = 'v-1';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    await tick();
    button('Send thanks').click();
    await vi.waitFor(() => expect(root.textContent).toContain('Bo Chen was thanked with 5 points.'));
    expect(sent).toEqual([{ recipient_id: 'u-2', message: 'Thanks for the review.', points: 5, value_id: 'v-1' }]);
  });
});
