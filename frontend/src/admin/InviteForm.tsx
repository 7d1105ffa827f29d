import type { TargetedSubmitEvent } from 'preact';
import { useId, useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { Role, Team } from '../api/types';
import { Checkbox, TextField } from '../ui/Field';
import { Alert, ErrorAlert } from '../ui/feedback';
import { ALL_ROLES, roleLabel } from '../ui/format';

export function InviteForm({ teams, onInvited }: { teams: Team[] | null; onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<Role[]>(['employee']);
  const [teamId, setTeamId] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [sentTo, setSentTo] = useState<string | null>(null);
  const teamSelectId = useId();
  const rolesErrorId = useId();

  function toggleRole(role: Role, on: boolean) {
    setRoles((current) => (on ? [...current, role] : current.filter((r) => r !== role)));
  }

  async function submit(e: TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const found = {
      email: email.trim() ? undefined : 'Enter the email address to invite.',
      roles: roles.length ? undefined : 'Choose at least one role.',
    };
    setProblems(found);
    if (found.email || found.roles) return;
    setPending(true);
    setError(null);
    setSentTo(null);
    try {
      const sorted = ALL_ROLES.filter((r) => roles.includes(r));
      await api.admin.createInvitation({ email: email.trim(), roles: sorted, ...(teamId ? { team_id: teamId } : {}) });
      setSentTo(email.trim());
      setEmail('');
      onInvited();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  const rolesError = fieldError('roles');
  const teamError = fieldError('team_id');

  return (
    <form onSubmit={submit} noValidate aria-busy={pending} class="form-narrow">
      {sentTo ? (
        <Alert kind="success">
          <p>
            Invitation sent to <strong>{sentTo}</strong>. The link in it expires, so ask them to accept soon.
          </p>
        </Alert>
      ) : null}
      <ErrorAlert error={error} />
      <TextField label="Email" type="email" name="invite-email" autoComplete="off" required value={email} onValue={setEmail} error={fieldError('email')} />
      <fieldset class="field" aria-describedby={rolesError ? rolesErrorId : undefined}>
        <legend>Roles</legend>
        <div class="checkbox-row">
          {ALL_ROLES.map((role) => (
            <Checkbox key={role} label={roleLabel(role)} checked={roles.includes(role)} onChange={(on) => toggleRole(role, on)} />
          ))}
        </div>
        {rolesError ? (
          <p id={rolesErrorId} class="field-error">
            {rolesError}
          </p>
        ) : null}
      </fieldset>
      <div class="field">
        <label for={teamSelectId}>Team (optional)</label>
        <select
          id={teamSelectId}
          value={teamId}
          onChange={(e) => setTeamId(e.currentTarget.value)}
          disabled={!teams}
          aria-invalid={teamError ? 'true' : undefined}
        >
          <option value="">{teams ? 'No team' : 'Teams unavailable'}</option>
          {(teams ?? []).map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
        {teamError ? <p class="field-error">{teamError}</p> : null}
      </div>
      <button type="submit" class="button button-primary" disabled={pending}>
        {pending ? 'Sending…' : 'Send invitation'}
      </button>
    </form>
  );
}
