import type { PostInput, PostPatch, PostStatus, PostView } from '../api/types';
import { fromLocalInput, parseTags, toLocalInput } from './datetime';

export const POST_STATUSES: readonly { id: PostStatus; label: string }[] = [
  { id: 'draft', label: 'Drafts' },
  { id: 'scheduled', label: 'Scheduled' },
  { id: 'published', label: 'Published' },
  { id: 'archived', label: 'Archived' },
];

export function postStatus(value: string | undefined): PostStatus | null {
  return POST_STATUSES.find((s) => s.id === value)?.id ?? null;
}

export function statusLabel(status: string): string {
  switch (status) {
    case 'draft':
      return 'Draft';
    case 'scheduled':
      return 'Scheduled';
    case 'published':
      return 'Published';
    case 'archived':
      return 'Archived';
    default:
      return status;
  }
}


/** The editor's form, as typed (times in the reader's zone, tags as one string). */
export interface PostForm {
  title: string;
  url: string;
  summary: string;
  image_url: string;
  tags: string;
  campaign_id: string;
  target_team_ids: string[];
  /** Suggested text per network; empty means "none" (the share flow then falls back to LinkedIn's). */
  texts: Record<string, string>;
  publish_at: string;
  expires_at: string;
}

export type PostIntent = 'save' | 'draft' | 'schedule' | 'publish';

export function formFromPost(post?: PostView | null): PostForm {
  return {
    title: post?.title ?? '',
    url: post?.url ?? '',
    summary: post?.summary ?? '',
    image_url: post?.image_url ?? '',
    tags: post?.tags.join(', ') ?? '',
    campaign_id: post?.campaign_id ?? '',
    target_team_ids: post?.target_team_ids ?? [],
    texts: { ...(post?.suggested_texts ?? {}) },
    publish_at: toLocalInput(post?.publish_at),
    expires_at: toLocalInput(post?.expires_at),
  };
}

const isHttpUrl = (value: string) => {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

/** Problems the server would report anyway, found before a round trip (field → message). */
export function validatePostForm(form: PostForm, intent: PostIntent, now: Date = new Date()): Record<string, string> {
  const problems: Record<string, string> = {};
  if (!form.title.trim()) problems.title = 'Give the post a title.';
  if (!form.url.trim()) problems.url = 'Enter the address of the page to share.';
  else if (!isHttpUrl(form.url.trim())) problems.url = 'Enter a full address starting with https://.';
  if (form.image_url.trim() && !isHttpUrl(form.image_url.trim())) problems.image_url = 'Enter a full image address starting with https://.';
  const publishAt = form.publish_at.trim() ? fromLocalInput(form.publish_at) : null;
  const expiresAt = form.expires_at.trim() ? fromLocalInput(form.expires_at) : null;
  if (form.publish_at.trim() && !publishAt) problems.publish_at = 'Enter a valid date and time.';
  if (form.expires_at.trim() && !expiresAt) problems.expires_at = 'Enter a valid date and time.';
  if (intent === 'schedule') {
    if (!publishAt) problems.publish_at ??= 'Choose when the post goes live.';
    else if (Date.parse(publishAt) <= now.getTime()) problems.publish_at = 'Choose a time in the future.';
  }
  if (expiresAt && Date.parse(expiresAt) <= now.getTime()) problems.expires_at = 'Choose a time in the future.';
  if (publishAt && expiresAt && Date.parse(expiresAt) <= Date.parse(publishAt)) problems.expires_at = 'The post must expire after it goes live.';
  return problems;
}

function cleanTexts(texts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v));
}

/** The body of POST /posts for the chosen action. */
export function toPostInput(form: PostForm, intent: Exclude<PostIntent, 'save'>): PostInput {
  return {
    title: form.title.trim(),
    url: form.url.trim(),
    summary: form.summary.trim(),
    image_url: form.image_url.trim() || null,
    tags: parseTags(form.tags),
    campaign_id: form.campaign_id || null,
    target_team_ids: form.target_team_ids,
    suggested_texts: cleanTexts(form.texts),
    publish_at: fromLocalInput(form.publish_at),
    expires_at: fromLocalInput(form.expires_at),
    status: intent === 'schedule' ? 'scheduled' : intent === 'publish' ? 'published' : 'draft',
  };
}

/**
 * The body of PATCH /posts/{id}: every field (empty times and image clear them). `status` only
 * for a move between draft and scheduled; publishing and archiving are their own actions.
 */
export function toPostPatch(form: PostForm, intent: PostIntent): PostPatch {
  const patch: PostPatch = {
    title: form.title.trim(),
    url: form.url.trim(),
    summary: form.summary.trim(),
    image_url: form.image_url.trim() || null,
    tags: parseTags(form.tags),
    campaign_id: form.campaign_id || null,
    target_team_ids: form.target_team_ids,
    suggested_texts: cleanTexts(form.texts),
    publish_at: fromLocalInput(form.publish_at),
    expires_at: fromLocalInput(form.expires_at),
  };
  if (intent === 'draft') patch.status = 'draft';
  if (intent === 'schedule') patch.status = 'scheduled';
  return patch;
}
