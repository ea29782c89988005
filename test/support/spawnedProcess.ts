/**
 * A process spawned the way a user or a supervisor starts it (`npm start`, `node dist/…`, `npm run
 * vehicle`), with its output collected line by line: JSON log lines parsed, other lines kept as
 * text. `stop()` in afterAll/finally kills what is still running (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** The parsed line when it is a JSON object (pino logs). */
  json: Record<string, unknown> | undefined;
}

export interface SpawnedProcess {
  child: ChildProcess;
  pid: number;
  lines: OutputLine[];
  /** All output so far, for failure messages. */
  output(): string;
  /** Resolves with the first line (past or future) matching `match`; rejects on timeout or exit. */
  waitFor(match: (line: OutputLine) => boolean, timeoutMs?: number, what?: string): Promise<OutputLine>;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** Kill it if it still runs (SIGTERM, then SIGKILL after 5 s) and wait for the exit. */
  stop(): Promise<void>;
}

export function spawnProcess(command: string, args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): SpawnedProcess {
  const child = spawn(command, args, { cwd: opts.cwd ?? process.cwd(), env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: OutputLine[] = [];
  const waiters = new Set<{ match: (l: OutputLine) => boolean; resolve: (l: OutputLine) => void }>();
  const onLine = (stream: OutputLine['stream']) => (text: string) => {
    let json: Record<string, unknown> | undefined;
    if (text.startsWith('{')) {
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    const line = { stream, text, json };
    lines.push(line);
    for (const w of [...waiters]) if (w.match(line)) w.resolve(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine('stdout'));
  createInterface({ input: child.stderr! }).on('line', onLine('stderr'));
  let exitCode: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal ?? -1;
      resolve(exitCode);
    });
  });
  const output = () => lines.map((l) => l.text).join('\n');
  return {
    child,
    pid: child.pid!,
    lines,
    output,
    exited,
    waitFor(match, timeoutMs = 30_000, what = 'an expected line') {
      const past = lines.find(match);
      if (past) return Promise.resolve(past);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (l: OutputLine) => {
            cleanup();
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${what}; output so far:\n${output()}`));
        }, timeoutMs);
        void exited.then((code) => {
          if (!waiters.has(waiter)) return;
          cleanup();
          reject(new Error(`the process exited (${code}) before ${what}; output:\n${output()}`));
        });
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
      });
    },
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free loopback TCP port (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether anything accepts TCP connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether a process with this id still exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run one shell command line the way a user types it; resolves with its exit code and output. */
export function runCommandLine(commandLine: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', commandLine], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
