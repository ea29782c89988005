/** Sentences about keys and invitations that several pages show: commands and validity windows. */
import type { Command } from '../shared/apiTypes';
import type { I18n } from '../shared/i18n/i18n';

export function commandsText(i18n: I18n, perms: readonly Command[]): string {
  return i18n.list(perms.map((c) => i18n.t(`command.${c}`)));
}

/** `notBefore`/`notAfter` in seconds → "always", "from …", "until …" or "from … until …". */
export function windowText(i18n: I18n, w: { notBefore?: number | undefined; notAfter?: number | undefined }): string {
  const from = w.notBefore !== undefined ? i18n.dateTime(w.notBefore * 1000) : null;
  const until = w.notAfter !== undefined ? i18n.dateTime(w.notAfter * 1000) : null;
  if (from && until) return i18n.t('window.fromUntil', { from, until });
  if (from) return i18n.t('window.from', { from });
  if (until) return i18n.t('window.until', { until });
  return i18n.t('window.always');
}
