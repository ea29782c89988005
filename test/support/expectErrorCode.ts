/**
 * Assertions for "this fails with exactly this error code": an attack test must prove the refusal
 * is ours (a DigitalKeyError) and says the right thing, not merely that something threw.
 */
import { expect } from 'vitest';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { ErrorCode } from '../../shared/errors/errorCode.js';

/** Await `promise` and require it to reject with a DigitalKeyError of `code`. */
export async function expectRejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<DigitalKeyError> {
  let caught: unknown;
  let resolved = false;
  try {
    await promise;
    resolved = true;
  } catch (err) {
    caught = err;
  }
  expect(resolved, `expected a rejection with ${code}, but it resolved`).toBe(false);
  expect(caught).toBeInstanceOf(DigitalKeyError);
  expect((caught as DigitalKeyError).code).toBe(code);
  return caught as DigitalKeyError;
}

/** Call `fn` and require it to throw a DigitalKeyError of `code`. */
export function expectThrowsWithCode(fn: () => unknown, code: ErrorCode): DigitalKeyError {
  let caught: unknown;
  let returned = false;
  try {
    fn();
    returned = true;
  } catch (err) {
    caught = err;
  }
  expect(returned, `expected a throw with ${code}, but it returned`).toBe(false);
  expect(caught).toBeInstanceOf(DigitalKeyError);
  expect((caught as DigitalKeyError).code).toBe(code);
  return caught as DigitalKeyError;
}
