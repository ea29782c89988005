/**
 * A labelled form field with its hint and its error in plain words right under it, tied to the
 * input with `aria-describedby` and `aria-invalid`, so a screen reader reads them with the field.
 */
import type { ComponentChildren, TargetedFocusEvent, TargetedInputEvent } from 'preact';
import { useId } from 'preact/hooks';

export interface FieldProps {
  label: string;
  value: string;
  onInput: (event: TargetedInputEvent<HTMLInputElement>) => void;
  onBlur?: (event: TargetedFocusEvent<HTMLInputElement>) => void;
  type?: 'text' | 'email' | 'datetime-local';
  hint?: ComponentChildren;
  error?: string | null | undefined;
  /** A positive note in place of an error (e.g. "Visa: the number looks right"). */
  ok?: string | null;
  autocomplete?: string;
  inputMode?: 'numeric' | 'text' | 'email';
  maxLength?: number;
  required?: boolean;
  spellcheck?: boolean;
  autofocus?: boolean;
}

export function Field({ label, hint, error, ok, type = 'text', ...input }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const messageId = `${id}-msg`;
  const describedBy = [hint ? hintId : null, error || ok ? messageId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {/* Preact types each input type separately; these three share every attribute used here. */}
      <input id={id} type={type as 'text'} aria-invalid={error ? 'true' : undefined} aria-describedby={describedBy} {...input} />
      {error ? (
        <p class="field-error" id={messageId} role="alert">
          {error}
        </p>
      ) : ok ? (
        <p class="field-ok" id={messageId}>
          {ok}
        </p>
      ) : null}
    </div>
  );
}
