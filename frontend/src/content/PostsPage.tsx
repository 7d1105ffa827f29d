import { useLocation } from 'preact-iso';
import { api } from '../api/client';
import type { CampaignView, PostView } from '../api/types';
import { networkLabel } from '../advocacy/networks';
import { EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { withQuery } from '../impact/window';
import { POST_STATUSES, postStatus, statusLabel } from './posts';

export const POSTS_PAGE_SIZE = 50;

/** The content library for editors: posts by status, newest first. */
export function PostsPage() {
  const { query } = useLocation();
  const status = postStatus(query.status);
  const page = Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1);
  const offset = (page - 1) * POSTS_PAGE_SIZE;
  const posts = useResource(
    (signal) => api.content.listPosts({ limit: POSTS_PAGE_SIZE, offset, ...(status ? { status } : {}) }, signal),
    [status, offset],
  );
  const campaigns = useResource((signal) => api.content.listCampaigns(signal), []);
  const campaignName = (id: string | null | undefined) =>
    id && campaigns.status === 'ready' ? campaigns.data.items.find((c: CampaignView) => c.id === id)?.name : undefined;
  const current = status ? POST_STATUSES.find((s) => s.id === status)?.label : 'All posts';

  return (
    <>
      <PageHeader
        title="Posts"
        description="Write posts for colleagues to share, with suggested text per network. Published posts appear in the feed of the teams they target."
        actions={
          <a class="button button-primary" href="/content/new">
            New post
          </a>
        }
      />
      <nav class="tabs" aria-label="Posts by status">
        <a class="tab" href="/content" aria-current={status === null ? 'page' : undefined}>
          All
        </a>
        {POST_STATUSES.map((s) => (
          <a key={s.id} class="tab" href={withQuery('/content', { status: s.id })} aria-current={status === s.id ? 'page' : undefined}>
            {s.label}
          </a>
        ))}
      </nav>
      <section class="card card-flush" aria-labelledby="posts-heading">
        <h2 id="posts-heading" class="visually-hidden">
          {current}
        </h2>
        {posts.status === 'loading' ? <Loading label="Loading posts…" /> : null}
        {posts.status === 'error' ? <ErrorState error={posts.error} onRetry={posts.reload} title="Posts could not be loaded" /> : null}
        {posts.status === 'ready' && posts.data.items.length === 0 ? (
          <EmptyState
            title={page > 1 ? 'No more posts' : status ? `No ${statusLabel(status).toLowerCase()} posts` : 'No posts yet'}
            action={
              <a class="button button-primary" href="/content/new">
                Write a post
              </a>
            }
          >
            <p>Posts you write start as drafts. Publish or schedule them when they are ready.</p>
          </EmptyState>
        ) : null}
        {posts.status === 'ready' && posts.data.items.length > 0 ? (
          <>
            <div class="table-scroll" role="region" aria-label={`${current} table`} tabIndex={0}>
              <table class="table">
                <caption class="visually-hidden">{current}</caption>
                <thead>
                  <tr>
                    <th scope="col">Title</th>
                    <th scope="col">Status</th>
                    <th scope="col">Campaign</th>
                    <th scope="col">When</th>
                    <th scope="col">Suggested text for</th>
                  </tr>
                </thead>
                <tbody>
                  {posts.data.items.map((post) => (
                    <tr key={post.id}>
                      <th scope="row" class="wrap">
                        <a href={`/content/posts/${post.id}`}>{post.title}</a>
                      </th>
                      <td>
                        <span class={`status status-${post.status}`}>{statusLabel(post.status)}</span>
                      </td>
                      <td>{campaignName(post.campaign_id) ?? <span class="muted">None</span>}</td>
                      <td>{when(post)}</td>
                      <td class="wrap">
                        {Object.keys(post.suggested_texts).length ? Object.keys(post.suggested_texts).map(networkLabel).join(', ') : <span class="muted">No text</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <PagerLinks page={page} hasMore={posts.data.items.length === POSTS_PAGE_SIZE} status={status} />
          </>
        ) : null}
      </section>
    </>
  );
}

function when(post: PostView): string {
  if (post.status === 'published' && post.published_at) return `Published ${formatDateTime(post.published_at)}`;
  if (post.status === 'scheduled' && post.publish_at) return `Goes live ${formatDateTime(post.publish_at)}`;
  if (post.status === 'draft' && post.publish_at) return `Planned for ${formatDateTime(post.publish_at)}`;
  return `Created ${formatDateTime(post.created_at)}`;
}

/** The posts list has no total, so "next" is offered while a page comes back full. */
function PagerLinks({ page, hasMore, status }: { page: number; hasMore: boolean; status: string | null }) {
  if (page <= 1 && !hasMore) return null;
  const href = (p: number) => withQuery('/content', { status, page: p > 1 ? String(p) : null });
  return (
    <nav class="pagination" aria-label="Pagination">
      {page > 1 ? (
        <a class="button button-secondary button-small" href={href(page - 1)} rel="prev">
          Previous<span class="visually-hidden"> page</span>
        </a>
      ) : (
        <span />
      )}
      <span class="pagination-status">Page {page}</span>
      {hasMore ? (
        <a class="button button-secondary button-small" href={href(page + 1)} rel="next">
          Next<span class="visually-hidden"> page</span>
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}
