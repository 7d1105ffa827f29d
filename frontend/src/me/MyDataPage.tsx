import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import { DownloadCsvButton } from '../impact/CsvButton';
import type { ViewProps } from '../shell/routes';
import { Checkbox, TextField } from '../ui/Field';
import { Alert, ErrorAlert, useDocumentTitle } from '../ui/feedback';
import { PageHeader } from '../ui/PageHeader';
import { myDataFileName } from './mydata';

/** "My data": download everything the platform holds about me; delete my account. */
export function MyDataPage({ me }: ViewProps) {
  useDocumentTitle('My data');
  const [password, setPassword] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function deleteAccount(e: Event) {
    e.preventDefault();
    if (!password || !confirmed) return;
    setPending(true);
    setError(null);
    try {
      // On success the session ends and the app returns to the sign-in page.
      await api.deleteMyAccount(password);
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  return (
    <>
      <PageHeader title="My data" description="Everything Chorus holds about you: take a copy, or delete your account." />
      <section aria-labelledby="export-heading" class="card">
        <h2 id="export-heading">Download my data</h2>
        <p>
          One JSON file with your profile, roles and team, your advocacy consent history, linked networks, shares and their reach, engagement reports, thanks given and
          received, points ledger, badges, redemptions, notification settings and the audit entries about you.
        </p>
        <DownloadCsvButton load={() => api.exportMyData()} name={myDataFileName(me.id, new Date())} what="your data (JSON)" label="Download my data" />
      </section>
      <section aria-labelledby="delete-heading" class="card">
        <h2 id="delete-heading">Delete my account</h2>
        <Alert kind="warning" title="This cannot be undone">
          Your name, email address, password and linked networks are removed, you are opted out of advocacy and signed out everywhere. Shares, thanks you wrote and points
          stay in the organisation's totals, shown as “Deleted user”. Download your data first if you want a copy.
        </Alert>
        <form class="form-grid" onSubmit={(e) => void deleteAccount(e)}>
          <TextField
            label="Your password"
            type="password"
            autoComplete="current-password"
            value={password}
            onValue={setPassword}
            error={error?.fieldErrors['password']}
            hint="To confirm it is you."
          />
          <Checkbox label="I understand my account is deleted for good" checked={confirmed} onChange={setConfirmed} />
          {error && !error.fieldErrors['password'] ? <ErrorAlert error={error} title="Your account was not deleted" /> : null}
          <button type="submit" class="button button-danger" disabled={pending || !password || !confirmed}>
            {pending ? 'Deleting…' : 'Delete my account'}
          </button>
        </form>
      </section>
    </>
  );
}
