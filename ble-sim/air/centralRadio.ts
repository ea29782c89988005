/**
 * A central's radio on the simulated air (the phone's Bluetooth controller): it scans for
 * advertisements and opens connections. AirBindings turns this into noble's bindings contract.
 */
import type { CentralLink } from './links.js';

/** One received advertisement, as a controller reports it. */
export interface AdvertisementReport {
  address: string;
  addressType: 'random';
  connectable: boolean;
  scannable: boolean;
  rssi: number;
  advertisement: {
    localName: string;
    serviceUuids: string[];
    txPowerLevel?: number;
    manufacturerData?: Uint8Array;
  };
}

/** What the Air offers a radio (kept off the Air's public API). */
export interface RadioPort {
  scan(radio: CentralRadio, listener: (report: AdvertisementReport) => void): () => void;
  connect(radio: CentralRadio, peripheralAddress: string): Promise<CentralLink>;
}

/** How a central's radio is set up. */
export interface RadioOptions {
  /** The radio's address; the air makes a deterministic one when absent. */
  address?: string;
  /** The largest ATT MTU this central asks for (default 517). */
  maxMtu?: number;
  /** Mean RSSI in dBm at which this central hears peripherals (overrides the link profile's). */
  rssi?: number;
}

/** What a central's stack needs from its radio; a local CentralRadio and a RemoteRadio both offer it. */
export interface CentralRadioApi {
  readonly address: string;
  readonly maxMtu: number;
  startScan(listener: (report: AdvertisementReport) => void): () => void;
  connect(peripheralAddress: string): Promise<CentralLink>;
}

/** A radio on the local Air (make one with `air.radio()`). */
export class CentralRadio implements CentralRadioApi {
  readonly address: string;
  readonly maxMtu: number;
  readonly rssi: number | undefined;
  readonly #port: RadioPort;

  constructor(port: RadioPort, address: string, opts: RadioOptions = {}) {
    this.#port = port;
    this.address = address;
    this.maxMtu = opts.maxMtu ?? 517;
    this.rssi = opts.rssi;
  }

  /** Report every advertisement heard until the returned function is called. */
  startScan(listener: (report: AdvertisementReport) => void): () => void {
    return this.#port.scan(this, listener);
  }

  /** Connect to an advertising peripheral; resolves after the first connection event. */
  connect(peripheralAddress: string): Promise<CentralLink> {
    return this.#port.connect(this, peripheralAddress);
  }
}
