/**
 * The car under test as a child process: the command line the user gave (`--car`) run by the shell,
 * spoken to with the adapter protocol, one JSON object a line. Every line it prints is parsed
 * through the protocol's schemas; anything else is reported as a problem of the current case, and
 * an adapter that exits fails what was waiting on it with its last words. It runs in its own
 * process group, so stopping it also stops whatever the shell started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { adapterEventSchema, adapterReplySchema, type AdapterEvent, type AdapterOp, type CarChannel } from './adapterProtocol.js';

const STDERR_LINES_KEPT = 20;

export class AdapterProcess implements CarChannel {
  readonly commandLine: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  readonly #listeners = new Set<(event: AdapterEvent) => void>();
  readonly #stderr: string[] = [];
  readonly exited: Promise<void>;
  #exit: string | null = null;
  #nextId = 1;

  /** Start the car's adapter; its stderr is passed through to ours (it is the car's log). */
  constructor(commandLine: string) {
    this.commandLine = commandLine;
    this.#child = spawn('sh', ['-c', commandLine], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => this.#onLine(line));
    createInterface({ input: this.#child.stderr! }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_LINES_KEPT) this.#stderr.shift();
      process.stderr.write(`car: ${line}\n`);
    });
    // A write to an adapter that has gone is reported by the exit, not as an unhandled error.
    this.#child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const onExit = (why: string) => {
        if (this.#exit !== null) return;
        const lastWords = this.#stderr.length > 0 ? `; its last words: ${this.#stderr.slice(-3).join(' / ')}` : '';
        this.#exit = `${why}${lastWords}`;
        for (const { reject } of this.#pending.values()) reject(new Error(`the car's adapter ${this.#exit}`));
        this.#pending.clear();
        resolve();
      };
      this.#child.once('error', (err) => onExit(`could not be started (${err.message})`));
      this.#child.once('exit', (code, signal) => onExit(signal ? `was stopped by ${signal}` : `exited with code ${code}`));
    });
  }

  /** Why the adapter is gone, or null while it runs. */
  get exitReason(): string | null {
    return this.#exit;
  }

  call(op: AdapterOp): Promise<unknown> {
    if (this.#exit !== null) return Promise.reject(new Error(`the car's adapter ${this.#exit}`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.stdin!.write(`${JSON.stringify({ id, ...op })}\n`);
    });
  }

  onEvent(listener: (event: AdapterEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: AdapterEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #onLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.#emit({ event: 'problem', message: `the adapter printed a line that is not JSON: ${line.slice(0, 200)}` });
      return;
    }
    const event = adapterEventSchema.safeParse(json);
    if (event.success) {
      this.#emit(event.data);
      return;
    }
    const reply = adapterReplySchema.safeParse(json);
    const waiting = reply.success ? this.#pending.get(reply.data.id) : undefined;
    if (!reply.success || !waiting) {
      this.#emit({ event: 'problem', message: `the adapter printed a line that is neither an event nor the reply to a request: ${line.slice(0, 200)}` });
      return;
    }
    this.#pending.delete(reply.data.id);
    if (reply.data.ok) {
      const { id: _id, ok: _ok, ...result } = reply.data;
      waiting.resolve(result);
    } else waiting.reject(new Error(reply.data.error));
  }

  /** Ask the adapter to shut down; stop its process group if it has not exited within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.#exit === null) {
      this.call({ op: 'shutdown' }).catch(() => undefined);
      this.#child.stdin!.end();
      const timer = setTimeout(() => this.kill(), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Stop the adapter and everything its shell started, at once. */
  kill(): void {
    if (this.#exit !== null || this.#child.pid === undefined) return;
    try {
      process.kill(-this.#child.pid, 'SIGKILL');
    } catch {
      this.#child.kill('SIGKILL');
    }
  }
}
