import { useState } from 'preact/hooks';
import { MIN_PASSWORD_LENGTH } from '../api/types';
import { Checkbox, TextField } from '../ui/Field';

/** Client-side check mirroring the server's rule, so people learn it before submitting. */
export function passwordProblem(password: string): string | undefined {
  if (!password) return 'Choose a password.';
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
  return undefined;
}

export function NewPasswordField({
  value,
  onValue,
  error,
  label = 'Password',
}: {
  value: string;
  onValue: (v: string) => void;
  error?: string | undefined;
  label?: string;
}) {
  const [show, setShow] = useState(false);
  return (
    <div class="field-group">
      <TextField
        label={label}
        type={show ? 'text' : 'password'}
        name="new-password"
        autoComplete="new-password"
        required
        minLength={MIN_PASSWORD_LENGTH}
        hint={`At least ${MIN_PASSWORD_LENGTH} characters. A short sentence is easy to remember and hard to guess.`}
        value={value}
        onValue={onValue}
        error={error}
      />
      <Checkbox label="Show password" checked={show} onChange={setShow} />
    </div>
  );
}
