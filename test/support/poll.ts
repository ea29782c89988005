/**
 * The options every `expect.poll` of the suite uses to wait for something asynchronous to show
 * (a message delivered, a manifest applied, a TTL run out): vitest's own polling, no home-made loop.
 * Generous on purpose — a poll that succeeds returns at once; only a failing one waits this long,
 * and two loaded cores can be slow.
 *
 * @example
 * await expect.poll(() => car.state.ep, POLL).toBe(1);
 */
export const POLL = { timeout: 10_000, interval: 10 } as const;
