import { describe, expect, it } from 'vitest';
import { colleaguesToPeople, matchPeople, type Person } from './people';

describe('finding colleagues', () => {
  const people: Person[] = [
    { id: 'a', name: 'Ana Lima' },
    { id: 'b', name: 'Bo Chen' },
    { id: 'c', name: 'Zoë Ángel' },
  ];

  it('matches the start of any word, ignoring case and accents, full-name matches first', () => {
    expect(matchPeople(people, 'an').map((p) => p.name)).toEqual(['Ana Lima', 'Zoë Ángel']);
    expect(matchPeople(people, 'ZOE').map((p) => p.id)).toEqual(['c']);
    expect(matchPeople(people, 'ima')).toEqual([]);
    expect(matchPeople(people, '  ')).toEqual([]);
  });

  it('shows directory answers with their team, leaving out the caller', () => {
    const found = colleaguesToPeople(
      {
        items: [
          { id: 'a', display_name: 'Ana Lima', team_name: 'Growth' },
          { id: 'me', display_name: 'Me Myself', team_name: 'Growth' },
          { id: 'c', display_name: 'Zoë Ángel', team_name: null },
        ],
      },
      'me',
    );
    expect(found).toEqual([
      { id: 'a', name: 'Ana Lima', detail: 'Growth' },
      { id: 'c', name: 'Zoë Ángel' },
    ]);
  });
});
