import { api } from '../api/client';
import type { MyBadge } from '../api/types';
import { EmptyState } from '../ui/feedback';
import { formatCount, formatDateTime, formatNumber } from '../ui/format';
import { flatten } from './explain';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { criterionLabel, progressRatio, progressText } from './badges';
import { Figures, ResourceState } from './parts';

/** The person's badges: those earned (with when and why) and progress toward the rest. */
export function BadgesPage() {
  const badges = useResource((signal) => api.recognition.badges(signal), []);
  const earned = badges.status === 'ready' ? badges.data.items.filter((b) => b.earned) : [];
  const open = badges.status === 'ready' ? badges.data.items.filter((b) => !b.earned) : [];
  return (
    <>
      <PageHeader title="Badges" description="Badges mark milestones: a first share, a streak of weeks with a share, clicks your shares brought, thanks given." />
      <ResourceState resource={badges} loading="Loading your badges…" error="Your badges could not be loaded" />
      {badges.status === 'ready' ? (
        <>
          <section class="card" aria-labelledby="badges-stats">
            <h2 id="badges-stats">Your numbers</h2>
            <Figures
              label="Your numbers"
              figures={[
                { id: 'shares', label: 'Shares', value: formatNumber(badges.data.stats.shares) },
                { id: 'streak', label: 'Current streak', value: formatCount(badges.data.stats.current_streak_weeks, 'week'), detail: `Longest: ${formatCount(badges.data.stats.longest_streak_weeks, 'week')}` },
                { id: 'clicks', label: 'Human clicks', value: formatNumber(badges.data.stats.human_clicks) },
                { id: 'given', label: 'Thanks given', value: formatNumber(badges.data.stats.thanks_given) },
                { id: 'received', label: 'Thanks received', value: formatNumber(badges.data.stats.thanks_received) },
                { id: 'networks', label: 'Networks linked', value: formatNumber(badges.data.stats.networks_linked) },
              ]}
            />
          </section>
          <section class="card" aria-labelledby="badges-earned">
            <h2 id="badges-earned">Earned</h2>
            {earned.length === 0 ? (
              <EmptyState title="No badges yet">
                <p>Your first share or your first thanks earns one.</p>
              </EmptyState>
            ) : (
              <ul class="badge-grid">
                {earned.map((b) => (
                  <li key={b.badge.id}>
                    <BadgeCard item={b} />
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section class="card" aria-labelledby="badges-progress">
            <h2 id="badges-progress">In progress</h2>
            {open.length === 0 ? (
              <p class="muted">{badges.data.items.length ? 'You have earned every badge there is.' : 'Your organisation has no badges yet.'}</p>
            ) : (
              <ul class="badge-grid">
                {open.map((b) => (
                  <li key={b.badge.id}>
                    <BadgeCard item={b} />
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      ) : null}
    </>
  );
}

function BadgeCard({ item }: { item: MyBadge }) {
  const b = item.badge;
  const text = progressText(b.criterion, item.progress, item.target);
  return (
    <article class={item.earned ? 'badge-card is-earned' : 'badge-card'} aria-labelledby={`badge-${b.id}`}>
      <h3 id={`badge-${b.id}`}>{b.name}</h3>
      {b.description ? <p>{b.description}</p> : null}
      <p class="muted">{criterionLabel(b.criterion)}</p>
      {item.earned ? (
        <p>
          <span class="status status-active">Earned</span>
          {item.awarded_at ? <> on {formatDateTime(item.awarded_at)}</> : null}
          {item.evidence && flatten(item.evidence) ? <span class="cell-detail">{flatten(item.evidence)}</span> : null}
        </p>
      ) : (
        <div class="badge-progress">
          <progress max={1} value={progressRatio(item.progress, item.target)} aria-label={`${b.name}: ${text}`} />
          <span>{text}</span>
        </div>
      )}
    </article>
  );
}
