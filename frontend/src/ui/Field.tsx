import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';

export interface TextFieldProps {
  label: string;
  type?: 'text' | 'email' | 'password' | 'search' | 'tel' | 'url' | 'number' | 'date' | 'datetime-local';
  name?: string;
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  maxLength?: number;
  min?: string | number;
  max?: string | number;
  step?: string | number;
  inputMode?: 'numeric' | 'decimal' | 'url' | 'email' | 'text';
  placeholder?: string;
  disabled?: boolean;
  readOnly?: boolean;
  value: string;
  onValue: (value: string) => void;
  /** Error text; marks the input invalid and is announced with it. */
  error?: string | undefined;
  hint?: ComponentChildren;
}

/** A labelled input with its hint and error wired up for assistive technology. */
export function TextField({ label, value, onValue, error, hint, type = 'text', ...input }: TextFieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint ? (
        <p id={hintId} class="field-hint">
          {hint}
        </p>
      ) : null}
      <input
        {...input}
        // Preact's input typings discriminate on a literal `type`; any of ours is valid here.
        type={type as 'text'}
        id={id}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      {error ? (
        <p id={errorId} class="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export interface CheckboxProps {
  label: ComponentChildren;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}

export function Checkbox({ label, checked, onChange, disabled }: CheckboxProps) {
  return (
    <label class="checkbox">
      <input
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.currentTarget.checked)}
      />
      <span>{label}</span>
    </label>
  );
}

/** The ids a described control needs: its own, its hint's and its error's. */
function useDescribed(hint: unknown, error: string | undefined) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return { id, hintId, errorId, describedBy };
}

function ErrorText({ id, error }: { id: string | undefined; error: string | undefined }) {
  return error ? (
    <p id={id} class="field-error">
      {error}
    </p>
  ) : null;
}

export interface TextAreaFieldProps {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  rows?: number;
  name?: string;
  maxLength?: number;
  required?: boolean;
  disabled?: boolean;
  error?: string | undefined;
  hint?: ComponentChildren;
  /** Shown under the box, e.g. a character count; announced politely as it changes. */
  counter?: ComponentChildren;
}

export function TextAreaField({ label, value, onValue, error, hint, counter, rows = 4, ...rest }: TextAreaFieldProps) {
  const { id, hintId, errorId, describedBy } = useDescribed(hint, error);
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint ? (
        <p id={hintId} class="field-hint">
          {hint}
        </p>
      ) : null}
      <textarea
        {...rest}
        id={id}
        rows={rows}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      />
      {counter ? <p class="field-hint field-counter">{counter}</p> : null}
      <ErrorText id={errorId} error={error} />
    </div>
  );
}

export interface SelectOption {
  value: string;
  label: string;
}

export interface SelectFieldProps {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  options: readonly SelectOption[];
  name?: string;
  disabled?: boolean;
  required?: boolean;
  error?: string | undefined;
  hint?: ComponentChildren;
  /** Extra class for the wrapper (e.g. `field-inline`). */
  class?: string;
}

export function SelectField({ label, value, onValue, options, error, hint, class: extra, ...rest }: SelectFieldProps) {
  const { id, hintId, errorId, describedBy } = useDescribed(hint, error);
  return (
    <div class={extra ? `field ${extra}` : 'field'}>
      <label for={id}>{label}</label>
      {hint ? (
        <p id={hintId} class="field-hint">
          {hint}
        </p>
      ) : null}
      <select
        {...rest}
        id={id}
        value={value}
        onChange={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <ErrorText id={errorId} error={error} />
    </div>
  );
}
