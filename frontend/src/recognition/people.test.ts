import { describe, expect, it } from 'vitest';
import type { ThanksView } from '../api/types';
import { matchPeople, mergePeople, peopleFromThanks } from './people';

const thanks = (giver: [string, string], recipient: [string, string]): ThanksView => ({
  id: `${giver[0]}-${recipient[0]}`,
  created_at: '2026-11-21T10:00:00Z',
  giver_id: giver[0],
  giver_name: giver[1],
  recipient_id: recipient[0],
  recipient_name: recipient[1],
  message: 'x',
  my_reactions: [],
  points: 0,
  private: false,
  reactions: {},
});

describe('finding colleagues', () => {
  const people = peopleFromThanks([[thanks(['a', 'Ana Lima'], ['b', 'Bo Chen']), thanks(['c', 'Zoë Ángel'], ['a', 'Ana Lima'])]]);

  it('collects each giver and recipient once', () => {
    expect(people.map((p) => p.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('matches the start of any word, ignoring case and accents, full-name matches first', () => {
    expect(matchPeople(people, 'an').map((p) => p.name)).toEqual(['Ana Lima', 'Zoë Ángel']);
    expect(matchPeople(people, 'ZOE').map((p) => p.id)).toEqual(['c']);
    expect(matchPeople(people, 'ima')).toEqual([]);
    expect(matchPeople(people, '  ')).toEqual([]);
  });

  it('merges lists without duplicates and without the caller', () => {
    const merged = mergePeople([[{ id: 'a', name: 'Ana Lima', detail: 'Growth' }], people], 'b');
    expect(merged).toEqual([
      { id: 'a', name: 'Ana Lima', detail: 'Growth' },
      { id: 'c', name: 'Zoë Ángel' },
    ]);
  });
});
