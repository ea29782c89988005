/**
 * Page-level messages: an error in plain words (role=alert), or a done-notice (role=status). An
 * error from the server or a passkey prompt is turned into a sentence of the catalogue; the code is
 * never shown alone.
 */
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';
import { useI18n, type I18n } from '../i18n/i18n';
import { PasskeyCancelled, PasskeyUnsupported } from '../webauthn';

/** The sentence for an error of any origin. */
export function errorSentence(i18n: I18n, error: unknown): string {
  if (error instanceof PasskeyCancelled) return i18n.t('error.passkeyCancelled');
  if (error instanceof PasskeyUnsupported) return i18n.t('error.passkeyUnsupported');
  if (error instanceof ApiError) {
    return i18n.lookup(`error.${error.code}`) ?? i18n.t('error.unknown');
  }
  if (error instanceof DOMException && error.name === 'InvalidStateError') return i18n.t('error.passkeyExists');
  return i18n.t('error.unknown');
}

export function ErrorMessage({ error }: { error: unknown }) {
  const i18n = useI18n();
  if (error === null || error === undefined) return null;
  return (
    <p class="alert" role="alert">
      {errorSentence(i18n, error)}
    </p>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  if (!children) return null;
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}
