/**
 * Structured JSON logs (pino). Secrets are redacted by path; bodies are never logged.
 *
 * Lines go to standard output asynchronously (pino's SonicBoom with `sync: false`): a request never
 * waits on a slow terminal or log shipper. What is still buffered when the process exits is written
 * synchronously then (pino flushes on exit); main.ts also flushes before it exits after a drain.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: opts.name ?? 'sdk-server',
      level: opts.level,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.credential', '*.enrollmentToken', '*.privateKey', '*.linkSecret', '*.responseKey', '*.advertisingKey'],
        censor: '[redacted]',
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Write out what the logger still buffers, then resolve (before a deliberate exit). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    logger.flush(() => resolve());
  });
}
