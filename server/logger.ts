/**
 * Structured JSON logs (pino). Secrets are redacted by path; bodies are never logged.
 *
 * Lines go to standard output asynchronously (pino's SonicBoom with `sync: false`): a request never
 * waits on a slow terminal or log shipper. What is still buffered when the process exits is written
 * synchronously then (pino flushes on exit), and main.ts and the pool's primary write it out with
 * `flushLogger` before they exit after a drain.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: opts.name ?? 'sdk-server',
      level: opts.level,
      redact: {
        // No line carries request headers today; the first two stay so that one added later cannot leak a token.
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.credential', '*.enrollmentToken', '*.privateKey', '*.linkSecret', '*.responseKey', '*.advertisingKey'],
        censor: '[redacted]',
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Write out, synchronously, whatever the logger still holds (before a deliberate exit). */
export function flushLogger(logger: Logger): void {
  const stream: unknown = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
  if (typeof stream === 'object' && stream !== null && 'flushSync' in stream && typeof stream.flushSync === 'function') {
    try {
      (stream as { flushSync(): void }).flushSync();
    } catch {
      // A destination that is not ready (or already closed) has nothing to write out.
    }
  }
}
