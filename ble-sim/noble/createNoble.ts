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

/**
 * noble's warning for a notification on a characteristic it has not discovered on this connection.
 * Expected, not a fault: a bonded car pushes its challenge right after the MTU exchange, and a phone
 * that must discover the characteristics again (from its cache) hears it too late and asks for
 * another (protocol.md, "Challenge push").
 */
const NOTIFICATION_BEFORE_DISCOVERY = /^unknown peripheral [0-9a-f]+, [0-9a-f]+, [0-9a-f]+ read!$/;

/** A real noble instance over `bindings`; its warnings go to stderr, but for the expected one above. */
export function createNoble(bindings: NobleBindings): Noble {
  const make = requireCjs('@abandonware/noble/with-bindings.js') as typeof withBindings;
  const noble = make(bindings);
  // With a listener of our own, noble no longer prints every warning itself.
  noble.on('warning', (message: string) => {
    if (!NOTIFICATION_BEFORE_DISCOVERY.test(message)) console.warn(`noble: ${message}`);
  });
  return noble;
}
