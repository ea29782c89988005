/**
 * A modal dialog on the native `<dialog>`: the rest of the page is inert while it is open, Tab and
 * Shift+Tab cycle inside it, Escape closes it, and focus goes back to the element that opened it
 * (or to `returnFocus` when that element is gone, e.g. a row the dialog removed).
 */
import type { ComponentChildren, RefObject } from 'preact';
import { useId, useLayoutEffect, useRef } from 'preact/hooks';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  /** Where focus goes on close if the opener left the page. */
  returnFocus?: RefObject<HTMLElement | null> | undefined;
  /** `alertdialog` for a destructive confirmation. */
  role?: 'dialog' | 'alertdialog';
}

export function Dialog({ title, onClose, children, returnFocus, role = 'dialog' }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  // A layout effect: Preact runs a passive effect's unmount cleanup after paint, which left focus on
  // the body for a moment after the dialog was gone (a screen reader announces the whole page).
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[autofocus]') ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => {
      // Closed first, so the page is no longer inert and the target can take focus at once.
      if (dialog.open) dialog.close();
      const target = opener && opener.isConnected ? opener : returnFocus?.current;
      target?.focus();
      // The target may be re-rendered by the same update: then once more, after it.
      queueMicrotask(() => {
        if (document.activeElement === document.body && target?.isConnected) target.focus();
      });
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      class="dialog"
      role={role === 'alertdialog' ? 'alertdialog' : undefined}
      aria-modal="true"
      aria-labelledby={titleId}
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        // Escape: the owner of the dialog decides (it unmounts it), the browser does not close it alone.
        event.preventDefault();
        closeRef.current();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}
