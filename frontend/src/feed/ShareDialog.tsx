import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { FeedItem, Network, ProfileView, ShareView } from '../api/types';
import { networkInfo, networkLabel } from '../advocacy/networks';
import { copyText } from '../ui/clipboard';
import { TextAreaField, TextField } from '../ui/Field';
import { Alert, ErrorAlert, useFocusWhen } from '../ui/feedback';
import { formatNumber } from '../ui/format';
import { EngagementForm } from './EngagementForm';
import { SharePreview } from './SharePreview';
import { charactersLeft, orderNetworks, shareReducer, sortWarnings, startShare, textWithLink, type ShareState } from './shareFlow';

const LINK_PLACEHOLDER = 'your tracked link';

/**
 * The share flow in a modal dialog: (1) pick a network, (2) edit the suggested text,
 * (3) open the network's composer with the tracked link — or copy text and link where the
 * network has none — then say "I posted it". A network chosen on the feed card skips step 1.
 */
export function ShareDialog({
  post,
  network,
  profiles,
  onClose,
}: {
  post: FeedItem;
  network: Network | null;
  profiles: readonly ProfileView[];
  /** `shared` is true when a tracked link was created (the feed then reloads). */
  onClose: (shared: boolean) => void;
}) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [state, dispatch] = useReducer(shareReducer, undefined, () => startShare(post, network));
  const created = useRef(false);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  async function createShare(s: Extract<ShareState, { step: 'compose' }>) {
    dispatch({ type: 'submit' });
    try {
      const answer = await api.advocacy.share({ post_id: post.id, network: s.network, text: s.text.trim() });
      created.current = true;
      dispatch({ type: 'created', created: answer });
    } catch (err) {
      dispatch({ type: 'failed', error: toApiError(err) });
    }
  }

  const titleId = `share-title-${post.id}`;
  return (
    <dialog ref={dialogRef} class="dialog" aria-labelledby={titleId} onClose={() => onClose(created.current)}>
      <div class="dialog-header">
        <h2 id={titleId} class="dialog-title">
          Share “{post.title}”
        </h2>
        <button type="button" class="button button-ghost button-small" onClick={() => dialogRef.current?.close()}>
          Close
        </button>
      </div>
      <StepIndicator state={state} />
      {state.step === 'network' ? <NetworkStep profiles={profiles} onPick={(n) => dispatch({ type: 'pick', network: n, post })} /> : null}
      {state.step === 'compose' ? (
        <ComposeStep
          state={state}
          post={post}
          profile={profiles.find((p) => p.network === state.network) ?? null}
          onEdit={(text) => dispatch({ type: 'edit', text })}
          onChangeNetwork={() => dispatch({ type: 'change-network' })}
          onSubmit={() => void createShare(state)}
        />
      ) : null}
      {state.step === 'ready' ? (
        <ReadyStep
          state={state}
          post={post}
          onRewrite={() => dispatch({ type: 'rewrite' })}
          onPosting={() => dispatch({ type: 'posting' })}
          onPosted={(share) => dispatch({ type: 'posted', share })}
          onFailed={(error) => dispatch({ type: 'failed', error })}
        />
      ) : null}
      {state.step === 'posted' ? (
        <PostedStep network={state.network} shareId={state.share.id} onDone={() => dialogRef.current?.close()} />
      ) : null}
    </dialog>
  );
}

function StepIndicator({ state }: { state: ShareState }) {
  const steps = ['Network', 'Your text', 'Post it'];
  const current = state.step === 'network' ? 0 : state.step === 'compose' ? 1 : 2;
  return (
    <ol class="steps" aria-label="Steps">
      {steps.map((label, i) => (
        <li key={label} class={i === current ? 'step is-current' : i < current ? 'step is-done' : 'step'} aria-current={i === current ? 'step' : undefined}>
          <span class="step-number" aria-hidden="true">
            {i + 1}
          </span>
          {label}
        </li>
      ))}
    </ol>
  );
}

function NetworkStep({ profiles, onPick }: { profiles: readonly ProfileView[]; onPick: (n: Network) => void }) {
  const options = orderNetworks(profiles);
  return (
    <div class="dialog-body">
      <h3 class="step-heading">Where will you share it?</h3>
      <ul class="network-choices">
        {options.map(({ network, profile }) => (
          <li key={network}>
            <button type="button" class="network-choice" onClick={() => onPick(network)}>
              <span class="network-choice-name">{networkLabel(network)}</span>{' '}
              <span class="network-choice-detail">
                {profile ? `${formatNumber(profile.audience_size)} ${networkInfo(network)?.audience ?? 'followers'}` : 'Not linked'}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ComposeStep({
  state,
  post,
  profile,
  onEdit,
  onChangeNetwork,
  onSubmit,
}: {
  state: Extract<ShareState, { step: 'compose' }>;
  post: FeedItem;
  profile: ProfileView | null;
  onEdit: (text: string) => void;
  onChangeNetwork: () => void;
  onSubmit: () => void;
}) {
  const label = networkLabel(state.network);
  const left = charactersLeft(state.network, state.text);
  const notOptedIn = state.error?.code === 'not_opted_in';
  return (
    <form
      class="dialog-body"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
      aria-busy={state.pending}
    >
      <p class="step-network">
        Sharing on <strong>{label}</strong>
        {profile ? <span class="muted"> · {formatNumber(profile.audience_size)} {networkInfo(state.network)?.audience ?? 'followers'}</span> : null}{' '}
        <button type="button" class="link-button" onClick={onChangeNetwork} disabled={state.pending}>
          Change network
        </button>
      </p>
      {notOptedIn ? (
        <Alert kind="error" title="You have not opted in">
          <p>
            Sharing through Chorus needs your consent first. <a href="/advocacy">Read the programme terms and opt in</a>.
          </p>
        </Alert>
      ) : (
        <ErrorAlert error={state.error} />
      )}
      {!profile ? (
        <Alert kind="info">
          <p>
            {label} is not linked, so this share adds nothing to potential reach. <a href="/networks">Link {label}</a> to count your audience.
          </p>
        </Alert>
      ) : null}
      <TextAreaField
        label="Your text"
        hint="The suggested text is a starting point. A sentence in your own words reads better."
        value={state.text}
        onValue={onEdit}
        rows={5}
        maxLength={3000}
        error={state.error?.fieldErrors.text}
        counter={
          left === null ? null : (
            <span class={left < 0 ? 'counter-over' : undefined}>
              {left >= 0 ? `About ${left} characters left on ${label}` : `About ${-left} characters over ${label}'s limit`} (the link included)
            </span>
          )
        }
      />
      <SharePreview network={state.network} text={state.text} link={LINK_PLACEHOLDER} post={post} />
      <div class="button-row">
        <button type="submit" class="button button-primary" disabled={state.pending}>
          {state.pending ? 'Creating your link…' : 'Create my tracked link'}
        </button>
      </div>
    </form>
  );
}

function ReadyStep({
  state,
  post,
  onRewrite,
  onPosting,
  onPosted,
  onFailed,
}: {
  state: Extract<ShareState, { step: 'ready' }>;
  post: FeedItem;
  onRewrite: () => void;
  onPosting: () => void;
  onPosted: (share: ShareView) => void;
  onFailed: (error: ApiError) => void;
}) {
  const { created } = state;
  const label = networkLabel(state.network);
  const link = created.share.tracked_url;
  const full = textWithLink(created.share.text, link);
  const warnings = sortWarnings(created.warnings);
  const [copied, setCopied] = useState<'text' | 'all' | 'failed' | null>(null);
  const [publicUrl, setPublicUrl] = useState('');
  const [urlProblem, setUrlProblem] = useState<string | undefined>();
  const headingRef = useFocusWhen<HTMLHeadingElement>(true);
  // Composers that take only the link (LinkedIn, Facebook, XING): the person pastes their text.
  const composerTakesText = networkInfo(state.network)?.composerTakesText ?? false;
  const isMail = created.intent_url?.startsWith('mailto:') ?? false;

  async function copy(what: 'text' | 'all') {
    const ok = await copyText(what === 'all' ? full : created.share.text);
    setCopied(ok ? what : 'failed');
  }

  async function markPosted(e: Event) {
    e.preventDefault();
    if (!publicUrl.trim()) {
      setUrlProblem(`Paste the address of your post on ${label}.`);
      return;
    }
    setUrlProblem(undefined);
    onPosting();
    try {
      onPosted(await api.advocacy.markPublished(created.share.id, { public_url: publicUrl.trim() }));
    } catch (err) {
      onFailed(toApiError(err));
    }
  }

  return (
    <div class="dialog-body">
      <h3 class="step-heading" ref={headingRef} tabIndex={-1}>
        Your link is ready
      </h3>
      {warnings.map((w) =>
        w.code === 'text_matches_colleagues' ? (
          <Alert key={w.code} kind="warning" title="This looks like what colleagues posted">
            <p>{w.message}</p>
            <button type="button" class="button button-secondary button-small" onClick={onRewrite}>
              Edit my text
            </button>
          </Alert>
        ) : (
          <Alert key={w.code} kind="info">
            <p>{w.message}</p>
          </Alert>
        ),
      )}
      <TextField label="Tracked link" value={link} onValue={() => undefined} readOnly hint="Visits to this link count as your reach." />
      <div class="button-row">
        {created.intent_url ? (
          isMail ? (
            <a class="button button-primary" href={created.intent_url}>
              Open your email app
            </a>
          ) : (
            <a class="button button-primary" href={created.intent_url} target="_blank" rel="noopener noreferrer">
              Open {label}
              <span class="visually-hidden"> (opens in a new tab)</span>
            </a>
          )
        ) : (
          <button type="button" class="button button-primary" onClick={() => void copy('all')}>
            Copy text and link
          </button>
        )}
        {created.intent_url && !composerTakesText && created.share.text ? (
          <button type="button" class="button button-secondary" onClick={() => void copy('text')}>
            Copy my text
          </button>
        ) : null}
        {created.intent_url ? (
          <button type="button" class="button button-secondary" onClick={() => void copy('all')}>
            Copy text and link
          </button>
        ) : null}
      </div>
      <p class="muted" aria-live="polite">
        {copied === 'all' ? 'Text and link copied.' : null}
        {copied === 'text' ? `Text copied — paste it into ${label}.` : null}
        {copied === 'failed' ? 'Copying did not work here; select the link above and copy it by hand.' : null}
        {!copied && created.intent_url && !composerTakesText && created.share.text ? `${label} fills in only the link: copy your text first, then paste it there.` : null}
        {!copied && !created.intent_url ? `${label} has no share page Chorus can open: copy, then paste into ${label}.` : null}
      </p>
      <SharePreview network={state.network} text={created.share.text} link={link} post={post} />
      <form class="posted-form" onSubmit={markPosted} noValidate aria-busy={state.posting}>
        <h3 class="step-heading">Posted it?</h3>
        <ErrorAlert error={state.error && !state.error.hasFieldErrors ? state.error : null} />
        <TextField
          label={`Address of your post on ${label}`}
          type="url"
          inputMode="url"
          value={publicUrl}
          onValue={setPublicUrl}
          error={urlProblem ?? state.error?.fieldErrors.public_url}
          hint="Copy it from your browser once the post is live. It lets Chorus show where your share lives."
        />
        <div class="button-row">
          <button type="submit" class="button button-primary" disabled={state.posting}>
            {state.posting ? 'Saving…' : 'I posted it'}
          </button>
        </div>
      </form>
    </div>
  );
}

function PostedStep({ network, shareId, onDone }: { network: Network; shareId: string; onDone: () => void }) {
  const headingRef = useFocusWhen<HTMLHeadingElement>(true);
  const [reported, setReported] = useState(false);
  return (
    <div class="dialog-body">
      <h3 class="step-heading" ref={headingRef} tabIndex={-1}>
        Thank you for sharing
      </h3>
      <p>
        Your {networkLabel(network)} post is recorded. Later, you can add its reactions and comments here or under <a href="/shares">My shares</a>.
      </p>
      {reported ? (
        <Alert kind="success">
          <p>Engagement saved.</p>
        </Alert>
      ) : (
        <details class="disclosure">
          <summary>Report engagement now</summary>
          <EngagementForm shareId={shareId} onSaved={() => setReported(true)} />
        </details>
      )}
      <div class="button-row">
        <button type="button" class="button button-primary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
