/**
 * The demo's narrator: each step is printed as it starts and ends, with its wall-clock duration, so
 * a person watching sees progress and where the time goes.
 */
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);

export class Narrator {
  #step = 0;
  readonly #started = performance.now();

  chapter(title: string): void {
    console.log(`\n${bold(title)}`);
  }

  /** Run one step, print its outcome line with timing; rethrows failures after printing them. */
  async step<T>(title: string, run: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
    const n = ++this.#step;
    const t0 = performance.now();
    try {
      const result = await run();
      const ms = (performance.now() - t0).toFixed(1).padStart(7);
      console.log(`  ${green('✓')} ${String(n).padStart(2)}. ${title} ${dim(`${ms} ms`)}${describe ? `\n        ${dim(describe(result))}` : ''}`);
      return result;
    } catch (err) {
      console.log(`  ${red('✗')} ${String(n).padStart(2)}. ${title}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  note(text: string): void {
    console.log(`        ${dim(text)}`);
  }

  table(headers: string[], rows: Array<Array<string | number>>): void {
    const cells = [headers, ...rows.map((r) => r.map(String))];
    // A row shorter than the headers counts as blank cells; a cell past the headers is not padded.
    const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
    const pad = (c: string, i: number) => {
      const w = widths[i] ?? c.length;
      return i === 0 ? c.padEnd(w) : c.padStart(w);
    };
    const line = (r: string[]) => `  ${r.map(pad).join('  ')}`;
    console.log(line(headers));
    console.log(`  ${widths.map((w) => '─'.repeat(w)).join('  ')}`);
    for (const r of cells.slice(1)) console.log(line(r));
  }

  get elapsedMs(): number {
    return performance.now() - this.#started;
  }
}
