/** The message of a thrown value, for logs and one-line reports: an Error's own message, else the value as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
