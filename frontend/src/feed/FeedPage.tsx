import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { CampaignView, FeedItem, Me, Network, ProfileView } from '../api/types';
import { networkLabel } from '../advocacy/networks';
import { Alert, EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatDate } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { ShareDialog } from './ShareDialog';
import { hostOf } from './SharePreview';
import { orderNetworks } from './shareFlow';

/** How many of the person's linked networks get their own button on each card. */
const QUICK_NETWORKS = 3;

export function FeedPage({ me }: { me: Me }) {
  const feed = useResource((signal) => api.advocacy.feed(signal), []);
  // Consent and networks shape the share buttons; the feed shows without them.
  const consent = useResource((signal) => api.advocacy.consent(signal), []);
  const networks = useResource((signal) => api.advocacy.networks(signal), []);
  const campaigns = useResource((signal) => api.content.listCampaigns(signal), []);
  const [sharing, setSharing] = useState<{ post: FeedItem; network: Network | null } | null>(null);

  const profiles: ProfileView[] = networks.status === 'ready' ? networks.data.items : [];
  const optedIn = consent.status === 'ready' ? consent.data.opted_in : null;
  const campaignName = (id: string | null | undefined) =>
    id && campaigns.status === 'ready' ? campaigns.data.items.find((c: CampaignView) => c.id === id)?.name : undefined;

  return (
    <>
      <PageHeader title="Share news" description={`News from ${me.organisation.name} for you to share, newest first.`} />
      {optedIn === false ? (
        <Alert kind="info" title="You have not opted in to the advocacy programme">
          <p>
            You can read everything here. To share through Chorus, first <a href="/advocacy">read the programme terms and opt in</a>.
          </p>
        </Alert>
      ) : null}
      {optedIn && networks.status === 'ready' && profiles.length === 0 ? (
        <Alert kind="info">
          <p>
            Tip: <a href="/networks">link your networks</a> with their audience sizes so that your shares count towards potential reach.
          </p>
        </Alert>
      ) : null}
      {feed.status === 'loading' ? <Loading label="Loading your feed…" /> : null}
      {feed.status === 'error' ? (
        <section class="card">
          <ErrorState error={feed.error} onRetry={feed.reload} title="Your feed could not be loaded" />
        </section>
      ) : null}
      {feed.status === 'ready' && feed.data.items.length === 0 ? (
        <section class="card">
          <EmptyState title="Nothing to share yet">
            <p>When {me.organisation.name} publishes news for you to share, it appears here. You can also suggest something worth sharing.</p>
          </EmptyState>
          <p class="center">
            <a href="/suggest">Suggest a post</a>
          </p>
        </section>
      ) : null}
      {feed.status === 'ready' && feed.data.items.length > 0 ? (
        <ul class="post-list" aria-label="Posts to share">
          {feed.data.items.map((item) => (
            <li key={item.id}>
              <PostCard
                item={item}
                campaign={campaignName(item.campaign_id)}
                profiles={profiles}
                canShare={optedIn !== false}
                onShare={(network) => setSharing({ post: item, network })}
              />
            </li>
          ))}
        </ul>
      ) : null}
      {sharing ? (
        <ShareDialog
          key={`${sharing.post.id}-${sharing.network ?? ''}`}
          post={sharing.post}
          network={sharing.network}
          profiles={profiles}
          onClose={(shared) => {
            setSharing(null);
            if (shared) feed.reload();
          }}
        />
      ) : null}
    </>
  );
}

function PostCard({
  item,
  campaign,
  profiles,
  canShare,
  onShare,
}: {
  item: FeedItem;
  campaign: string | undefined;
  profiles: readonly ProfileView[];
  canShare: boolean;
  onShare: (network: Network | null) => void;
}) {
  const headingId = `post-${item.id}`;
  const quick = orderNetworks(profiles)
    .filter((o) => o.profile)
    .slice(0, QUICK_NETWORKS);
  return (
    <article class="card post-card" aria-labelledby={headingId}>
      {item.image_url ? <img class="post-card-image" src={item.image_url} alt="" loading="lazy" referrerpolicy="no-referrer" /> : null}
      <div class="post-card-body">
        <p class="post-meta">
          {item.published_at ? <>Published {formatDate(item.published_at)}</> : null}
          {campaign ? <> · {campaign}</> : null}
          {item.expires_at ? <> · until {formatDate(item.expires_at)}</> : null}
        </p>
        <h2 id={headingId} class="post-title">
          {item.title}
        </h2>
        {item.summary ? <p>{item.summary}</p> : null}
        <p class="post-link">
          <a href={item.url} target="_blank" rel="noopener noreferrer">
            {hostOf(item.url)}
            <span class="visually-hidden"> — read “{item.title}” (opens in a new tab)</span>
          </a>
        </p>
        {item.tags.length ? (
          <ul class="tags" aria-label="Tags">
            {item.tags.map((t) => (
              <li key={t} class="tag">
                #{t}
              </li>
            ))}
          </ul>
        ) : null}
        {item.shared_on.length ? (
          <p class="shared-on">
            <span class="status status-active">You shared this on {item.shared_on.map(networkLabel).join(', ')}</span>
          </p>
        ) : null}
        <div class="share-actions" role="group" aria-label={`Share “${item.title}”`}>
          {canShare ? (
            <>
              {quick.map(({ network }) => (
                <button key={network} type="button" class="button button-primary button-small" onClick={() => onShare(network)}>
                  Share on {networkLabel(network)}
                </button>
              ))}
              <button type="button" class={quick.length ? 'button button-secondary button-small' : 'button button-primary button-small'} onClick={() => onShare(null)}>
                {quick.length ? 'Another network…' : 'Share…'}
              </button>
            </>
          ) : (
            <a class="button button-secondary button-small" href="/advocacy">
              Opt in to share
            </a>
          )}
        </div>
      </div>
    </article>
  );
}
