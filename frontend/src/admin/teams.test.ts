import { describe, expect, it } from 'vitest';
import type { Team } from '../api/types';
import { buildTeamTree } from './TeamsPage';

const team = (id: string, name: string, parent_id: string | null = null): Team => ({ id, name, parent_id, manager_ids: [], member_count: 0 });

type Shape = [string, Shape[]];
const shape = (nodes: ReturnType<typeof buildTeamTree>): Shape[] => nodes.map((n) => [n.team.name, shape(n.children)]);

describe('buildTeamTree', () => {
  it('nests teams under their parents, siblings sorted by name', () => {
    const tree = buildTeamTree([team('c', 'Sales EU', 'b'), team('b', 'Sales'), team('d', 'Engineering'), team('e', 'Sales APAC', 'b')]);
    expect(shape(tree)).toEqual([
      ['Engineering', []],
      ['Sales', [['Sales APAC', []], ['Sales EU', []]]],
    ]);
  });

  it('shows teams with a missing parent or a parent cycle instead of hiding them', () => {
    const tree = buildTeamTree([team('x', 'Orphan', 'gone'), team('p', 'Ping', 'q'), team('q', 'Pong', 'p')]);
    expect(shape(tree)).toEqual([
      ['Orphan', []],
      ['Ping', [['Pong', []]]],
    ]);
  });
});
