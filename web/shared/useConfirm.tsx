/**
 * The one way a page asks "are you sure?" about something (a key, a card, a plan, the account):
 * which thing is being confirmed, opening and closing the {@link ConfirmDialog} about it, and the
 * element focus returns to when the confirmed action removed the button that opened the dialog.
 */
import type { JSX, RefObject } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ConfirmDialog, type ConfirmDialogProps } from './components/ConfirmDialog';

/** What the dialog says about one subject; closing and focus are the hook's. */
export type ConfirmContent = Omit<ConfirmDialogProps, 'onClose' | 'returnFocus'>;

export interface Confirm<T, E extends HTMLElement> {
  /** The thing being confirmed, or null while no dialog is open. */
  subject: T | null;
  /** Open the dialog about a thing. */
  ask(subject: T): void;
  /** Put on a stable element near the list (a heading with `tabIndex={-1}`, or the opening button). */
  returnFocus: RefObject<E | null>;
  /** The dialog while a thing is being confirmed, else nothing. */
  dialog(content: (subject: T) => ConfirmContent): JSX.Element | null;
}

/**
 * @example
 * const removing = useConfirm<Card>();
 * <h2 ref={removing.returnFocus} tabIndex={-1}>…</h2>
 * <button onClick={() => removing.ask(card)}>…</button>
 * {removing.dialog((card) => ({ title: …, confirmLabel: …, onConfirm: () => remove(card), children: <p>…</p> }))}
 */
export function useConfirm<T, E extends HTMLElement = HTMLHeadingElement>(): Confirm<T, E> {
  const [subject, setSubject] = useState<T | null>(null);
  const returnFocus = useRef<E>(null);
  return {
    subject,
    ask: (value) => setSubject(() => value),
    returnFocus,
    dialog: (content) => (subject === null ? null : <ConfirmDialog {...content(subject)} onClose={() => setSubject(null)} returnFocus={returnFocus} />),
  };
}
