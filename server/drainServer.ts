/**
 * Graceful stop of an HTTP server: stop accepting connections, let the requests in flight finish,
 * close idle keep-alive connections as they become idle, and cut whatever is still open when the
 * drain timeout runs out. Resolves once the server no longer listens and every connection is closed.
 */
import type { Server } from 'node:http';

export interface DrainResult {
  /** Whether the timeout ran out with connections still open (they were cut). */
  timedOut: boolean;
}

export async function drainServer(server: Server, timeoutMs: number): Promise<DrainResult> {
  let timedOut = false;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // server.close() closes idle connections now; busy ones become idle after their response.
  const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => {
    timedOut = true;
    server.closeAllConnections();
  }, timeoutMs);
  try {
    await closed;
  } finally {
    clearInterval(idleSweep);
    clearTimeout(deadline);
  }
  return { timedOut };
}
