import type { Network } from '../api/types';
import { networkLabel } from '../advocacy/networks';

export interface PreviewPost {
  title: string;
  url: string;
  summary: string;
  image_url?: string | null | undefined;
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host.replace(/^www\./, '');
  } catch {
    return url;
  }
}

/**
 * Roughly how the share will look on the network: the person's text with the tracked link,
 * and the link card the network builds from the destination page. A sketch, not a rendering of
 * any network's real layout — it is labelled as such.
 */
export function SharePreview({
  network,
  text,
  link,
  post,
  author = 'You',
}: {
  network: Network;
  text: string;
  /** The tracked link, or a placeholder before it exists. */
  link: string;
  post: PreviewPost;
  author?: string;
}) {
  return (
    <figure class="share-preview">
      <figcaption class="share-preview-caption">Preview on {networkLabel(network)} (approximate)</figcaption>
      <div class="share-preview-post">
        <p class="share-preview-author">
          <span class="avatar" aria-hidden="true">
            {author.slice(0, 1).toUpperCase()}
          </span>
          {author}
        </p>
        <p class="share-preview-text">
          {text.trim() ? `${text.trim()} ` : ''}
          <span class="share-preview-link">{link}</span>
        </p>
        <div class="link-card">
          {post.image_url ? <img class="link-card-image" src={post.image_url} alt="" loading="lazy" referrerpolicy="no-referrer" /> : null}
          <div class="link-card-body">
            <span class="link-card-host">{hostOf(post.url)}</span>
            <span class="link-card-title">{post.title || 'Post title'}</span>
            {post.summary ? <span class="link-card-summary">{post.summary}</span> : null}
          </div>
        </div>
      </div>
    </figure>
  );
}
