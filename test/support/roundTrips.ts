/**
 * Counts the store round trips an operation makes: a store that passes every call on and notes
 * when a call starts after another one finished. Calls started together (Promise.all) are one round
 * trip, as they are on Redis (sent back to back, answered together); a call that waited for an
 * answer starts the next. The count errs high, never low: two independent calls that each waited
 * count twice.
 */
import type { Store } from '../../server/store/store.js';

export interface RoundTripCounter {
  store: Store;
  /** Round trips since the last `reset`. */
  readonly count: number;
  /** The store calls since the last `reset`, by method and round trip, in order ("1 get", "2 hget"…). */
  readonly calls: readonly string[];
  reset(): void;
}

const PASSED_THROUGH = new Set(['kind', 'location', 'close', 'subscribe']);

export function countRoundTrips(inner: Store): RoundTripCounter {
  let count = 0;
  let answeredSinceLastStart = true;
  let calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || PASSED_THROUGH.has(prop)) return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        if (answeredSinceLastStart) {
          count += 1;
          answeredSinceLastStart = false;
        }
        calls.push(`${count} ${prop}`);
        const settle = () => {
          answeredSinceLastStart = true;
        };
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return result.then(
          (v) => {
            settle();
            return v;
          },
          (err: unknown) => {
            settle();
            throw err;
          },
        );
      };
    },
  });
  return {
    store,
    get count() {
      return count;
    },
    get calls() {
      return calls;
    },
    reset() {
      count = 0;
      answeredSinceLastStart = true;
      calls = [];
    },
  };
}
