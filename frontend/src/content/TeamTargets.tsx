import { useId } from 'preact/hooks';
import type { Team } from '../api/types';
import { teamOptions } from '../admin/TeamsPage';
import { Checkbox } from '../ui/Field';

/**
 * Who a post or campaign is for: everyone, or chosen teams (and the teams below them). An
 * empty list means everyone, as in the API.
 */
export function TeamTargets({
  teams,
  selected,
  onChange,
  legend,
  error,
}: {
  teams: readonly Team[] | null;
  selected: readonly string[];
  onChange: (ids: string[]) => void;
  legend: string;
  error?: string | undefined;
}) {
  const errorId = useId();
  const some = selected.length > 0;
  const name = useId();
  return (
    <fieldset class="field" aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      <label class="checkbox">
        <input type="radio" name={name} checked={!some} onChange={() => onChange([])} />
        <span>Everyone</span>
      </label>
      <label class="checkbox">
        <input
          type="radio"
          name={name}
          checked={some}
          disabled={!teams || teams.length === 0}
          onChange={() => {
            const first = teams?.[0];
            if (first) onChange([first.id]);
          }}
        />
        <span>Only some teams (and the teams below them)</span>
      </label>
      {some && teams ? (
        <div class="team-checklist">
          {teamOptions(teams).map((o) => (
            <Checkbox
              key={o.value}
              label={o.label}
              checked={selected.includes(o.value)}
              onChange={(on) => onChange(on ? [...selected, o.value] : selected.filter((id) => id !== o.value))}
            />
          ))}
        </div>
      ) : null}
      {error ? (
        <p id={errorId} class="field-error">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
