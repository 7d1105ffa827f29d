import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { Checkbox } from '../ui/Field';
import { ErrorAlert } from '../ui/feedback';
import { useResource } from '../ui/useResource';
import { ResourceState, useAction } from './parts';

/**
 * The person's choice to appear on leaderboards (off unless chosen; only for people who opted
 * in to the programme). `onChange` runs after the choice is saved.
 */
export function LeaderboardConsent({ onChange }: { onChange?: (shown: boolean) => void }) {
  const consent = useResource((signal) => api.advocacy.consent(signal), []);
  const [shown, setShown] = useState<boolean | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  if (consent.status !== 'ready') return <ResourceState resource={consent} loading="Loading your leaderboard choice…" error="Your leaderboard choice could not be loaded" />;
  if (!consent.data.opted_in) {
    return (
      <p class="muted">
        Leaderboards list only people who take part in the advocacy programme. <a href="/advocacy">Join the programme</a> to choose whether you appear.
      </p>
    );
  }
  const value = shown ?? consent.data.show_in_leaderboard;
  return (
    <>
      <Checkbox
        label="Show me on leaderboards (my name, rank and numbers)"
        checked={value}
        disabled={action.pending !== null}
        onChange={(checked) => {
          // Show the choice at once; put it back if it could not be saved.
          setShown(checked);
          setSaved(false);
          void action
            .run('save', async () => {
              const next = await api.advocacy.updateConsent({ show_in_leaderboard: checked });
              setShown(next.show_in_leaderboard);
              setSaved(true);
              onChange?.(next.show_in_leaderboard);
            })
            .then((ok) => {
              if (!ok) setShown(value);
            });
        }}
      />
      <p class="muted" role="status">
        {action.pending ? 'Saving…' : saved ? 'Saved.' : ''}
      </p>
      <ErrorAlert error={action.error} title="Your choice was not saved" />
    </>
  );
}
