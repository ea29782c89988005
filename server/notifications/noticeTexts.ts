/**
 * Notices whose subject and body follow from their kind and data alone (issue 11: an outbox entry
 * of such a notice stores its kind and data, and its text is rendered again when it is read — see
 * notificationStoredForm). The rule that sends one builds it with the function here, and the outbox
 * renders it with the same one, so the two cannot drift; a notice the function does not reproduce
 * exactly (another text under the same kind) keeps its text in the outbox.
 */
import type { Vin } from '../../shared/ids.js';

export interface NoticeText {
  subject: string;
  body: string;
}

/** What the holder of a key the main user revoked is told. */
export function keyRevokedByMainUserText(vin: Vin): NoticeText {
  return { subject: 'Your digital key was revoked', body: `The main user of vehicle ${vin} revoked your digital key for it.` };
}

/** What the main user whose vehicle another user claimed is told (R4d, R12). */
export function claimedByAnotherText(vin: Vin): NoticeText {
  return { subject: 'Your Smart Digital Keys for a vehicle have ended', body: `Another user claimed vehicle ${vin}. Every digital key of the vehicle, shared keys included, has been removed.` };
}

const RENDERERS: Readonly<Record<string, (data: Record<string, unknown>) => NoticeText | null>> = {
  'key-revoked': (d) => (d.by === 'main-user' && typeof d.vin === 'string' ? keyRevokedByMainUserText(d.vin) : null),
  'vehicle-claimed-by-another': (d) => (typeof d.vin === 'string' ? claimedByAnotherText(d.vin) : null),
};

/** The text a notice of this kind with this data has, if it follows from them alone; else null. */
export function renderedNoticeText(kind: string, data: Record<string, unknown>): NoticeText | null {
  return Object.hasOwn(RENDERERS, kind) ? (RENDERERS[kind]?.(data) ?? null) : null;
}
