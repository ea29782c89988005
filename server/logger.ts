/** Structured JSON logs (pino). Secrets are redacted by path; bodies are never logged. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; name?: string }): Logger {
  return pino({
    name: opts.name ?? 'sdk-server',
    level: opts.level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.credential', '*.enrollmentToken', '*.privateKey', '*.linkSecret', '*.responseKey', '*.advertisingKey'],
      censor: '[redacted]',
    },
  });
}
