/**
 * "Are you sure?" for an action with consequences: the consequences in plain sentences, the action
 * named on its button, Cancel first in the tab order and focused, so Enter never confirms by accident.
 * The action's error is shown inside the dialog, which stays open so the user can try again.
 */
import type { ComponentChildren, RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { useI18n } from '../i18n/i18n';
import { Dialog } from './Dialog';
import { ErrorMessage } from './Messages';

export interface ConfirmDialogProps {
  title: string;
  /** The consequences, in sentences. */
  children: ComponentChildren;
  confirmLabel: string;
  /** The button that changes nothing (default "Cancel"; say "Keep my plan" where "Cancel" would be ambiguous). */
  dismissLabel?: string;
  /** Does the action; the dialog closes when it resolves. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
  danger?: boolean;
  returnFocus?: RefObject<HTMLElement | null> | undefined;
}

export function ConfirmDialog({ title, children, confirmLabel, dismissLabel, onConfirm, onClose, danger = false, returnFocus }: ConfirmDialogProps) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title={title} onClose={onClose} role={danger ? 'alertdialog' : 'dialog'} returnFocus={returnFocus}>
      <div class="dialog-body">{children}</div>
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" autofocus onClick={onClose}>
          {dismissLabel ?? t('common.cancel')}
        </button>
        <button type="button" class={danger ? 'danger' : 'primary'} disabled={busy} onClick={confirm}>
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
