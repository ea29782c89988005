/**
 * Types for `@abandonware/noble/with-bindings.js` (noble ships types for its singleton only). That
 * entry builds a Noble over the bindings it is given and, unlike the default entry, never loads the
 * native HCI module. The instance type uses noble's own Peripheral/Service/Characteristic types.
 */
declare module '@abandonware/noble/with-bindings.js' {
  import type { EventEmitter } from 'node:events';
  import type { Peripheral } from '@abandonware/noble';

  namespace withBindings {
    type State = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn';

    /** A noble instance (lib/noble.js). */
    interface Noble extends EventEmitter {
      /** Reading it initialises the bindings if nothing has yet. */
      readonly state: State;
      address: string;
      startScanning(serviceUuids?: string[], allowDuplicates?: boolean, callback?: (error: Error | null) => void): void;
      startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
      stopScanning(callback?: () => void): void;
      stopScanningAsync(): Promise<void>;
      setScanParameters(interval: number, window: number, callback?: () => void): void;
      cancelConnect(peripheralUuid: string, options?: object): void;
      reset(): void;
      on(event: 'stateChange', listener: (state: State) => void): this;
      on(event: 'scanStart', listener: (filterDuplicates: boolean) => void): this;
      on(event: 'scanStop', listener: () => void): this;
      on(event: 'discover', listener: (peripheral: Peripheral) => void): this;
      on(event: 'warning', listener: (message: string) => void): this;
      once(event: 'stateChange', listener: (state: State) => void): this;
      once(event: 'discover', listener: (peripheral: Peripheral) => void): this;
      removeListener(event: 'stateChange', listener: (state: State) => void): this;
      removeListener(event: 'discover', listener: (peripheral: Peripheral) => void): this;
      removeListener(event: 'warning', listener: (message: string) => void): this;
    }
  }

  function withBindings(bindings: EventEmitter): withBindings.Noble;
  export = withBindings;
}
