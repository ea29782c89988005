/**
 * A mailer for tests that keeps every message it is given, as a mailbox per address would: tests
 * read the links (verification, recovery) a person would click in their e-mail.
 */
import type { Mailer, OutgoingMessage } from '../../server/notifications/outbox.js';

export interface SentMail {
  to: string | null;
  accountId: string;
  message: OutgoingMessage;
}

export class TestMailbox implements Mailer {
  readonly sent: SentMail[] = [];

  async send(to: { accountId: string; email: string | null }, message: OutgoingMessage): Promise<void> {
    this.sent.push({ to: to.email, accountId: to.accountId, message });
  }

  /** Every message sent to this address, oldest first. */
  to(email: string): SentMail[] {
    return this.sent.filter((m) => m.to === email.toLowerCase());
  }

  /** The token of the newest link of this kind sent to the address (fails the test when there is none). */
  tokenFor(email: string, kind: 'verify-email' | 'recovery-email'): string {
    const mail = this.to(email).filter((m) => m.message.kind === kind && m.message.link !== undefined).at(-1);
    if (!mail?.message.link) throw new Error(`no ${kind} link was sent to ${email}`);
    const m = /#\/[a-z-]+\/([A-Za-z0-9_-]+)$/.exec(mail.message.link);
    if (!m) throw new Error(`unexpected link ${mail.message.link}`);
    return m[1]!;
  }
}
