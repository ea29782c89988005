/** Logging never blocks the event loop: lines leave asynchronously, and nothing buffered is lost at a deliberate exit. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the server logger', () => {
  it('writes standard output asynchronously (SonicBoom, sync: false)', () => {
    const logger = createLogger({ level: 'info' });
    const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { sync?: boolean; fd?: number };
    expect({ fd: stream.fd, sync: stream.sync }).toEqual({ fd: 1, sync: false });
  });

  it('flushLogger writes out every buffered line at once: nothing is lost even when the process is then killed', async () => {
    const script = [
      "import { createLogger, flushLogger } from './server/logger.ts';",
      "const logger = createLogger({ level: 'info' });",
      "for (let i = 0; i < 2000; i++) logger.info({ i }, 'line');",
      'flushLogger(logger);',
      // No exit hook runs after SIGKILL: only what flushLogger wrote is there.
      "process.kill(process.pid, 'SIGKILL');",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const signal = await new Promise<string | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { i: number });
    expect({ signal, lines: lines.length, last: lines.at(-1)?.i }).toEqual({ signal: 'SIGKILL', lines: 2000, last: 1999 });
  }, 30_000);
});
