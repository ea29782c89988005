/**
 * Creates a real noble instance over any bindings, through `@abandonware/noble/with-bindings.js`.
 * Never import noble's default entry: on Linux it loads the native HCI module (STYLE.md "noble,
 * concretely"). The type-only import of '@abandonware/noble' below is erased at compile time.
 *
 * @example
 * const noble = createNoble(new AirBindings(air));
 * noble.on('stateChange', (s) => s === 'poweredOn' && noble.startScanningAsync([serviceUuid]));
 */
import { createRequire } from 'node:module';
import type withBindings from '@abandonware/noble/with-bindings.js';
import type { NobleBindings } from './nobleBindings.js';

/** noble's own types for what a Noble instance hands out. */
export type { Characteristic, Peripheral } from '@abandonware/noble';
/** A noble instance (lib/noble.js). */
export type Noble = withBindings.Noble;

const requireCjs = createRequire(import.meta.url);

/** A real noble instance over `bindings`. */
export function createNoble(bindings: NobleBindings): Noble {
  const make = requireCjs('@abandonware/noble/with-bindings.js') as typeof withBindings;
  return make(bindings);
}
