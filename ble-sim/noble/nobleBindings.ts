/**
 * The contract between noble and a transport ("bindings"), written from
 * `@abandonware/noble/lib/noble.js` 1.9.2-26: the methods noble calls, and the events (with their
 * argument order) noble listens for. hci-socket, mac, win, websocket — and our simulated air — all
 * speak it, so code written against noble runs unchanged over any of them.
 */
import type { EventEmitter } from 'node:events';

/** The adapter states noble knows (`noble.state`). */
export type NobleState = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn';

/** An advertisement as noble's Peripheral exposes it (`peripheral.advertisement`). */
export interface NobleAdvertisement {
  localName?: string;
  txPowerLevel?: number;
  manufacturerData?: Buffer;
  serviceData: { uuid: string; data: Buffer }[];
  serviceUuids: string[];
  serviceSolicitationUuids?: string[];
}

/** A characteristic as bindings report it in `characteristicsDiscover`. */
export interface NobleCharacteristicInfo {
  uuid: string;
  /** 'read', 'write', 'writeWithoutResponse', 'notify', 'indicate', 'broadcast', … */
  properties: string[];
}

/**
 * The 25 events noble subscribes to in its constructor, with their arguments in order.
 * `read` also carries notifications (`isNotification` true).
 */
export interface NobleBindingsEvents {
  stateChange: [state: NobleState];
  addressChange: [address: string];
  scanParametersSet: [];
  scanStart: [filterDuplicates: boolean];
  scanStop: [];
  discover: [
    peripheralUuid: string,
    address: string,
    addressType: string,
    connectable: boolean,
    advertisement: NobleAdvertisement,
    rssi: number,
    scannable: boolean,
  ];
  connect: [peripheralUuid: string, error?: Error | null];
  disconnect: [peripheralUuid: string, reason?: number];
  rssiUpdate: [peripheralUuid: string, rssi: number];
  servicesDiscover: [peripheralUuid: string, serviceUuids: string[]];
  servicesDiscovered: [peripheralUuid: string, services: unknown[]];
  includedServicesDiscover: [peripheralUuid: string, serviceUuid: string, includedServiceUuids: string[]];
  characteristicsDiscover: [peripheralUuid: string, serviceUuid: string, characteristics: NobleCharacteristicInfo[]];
  characteristicsDiscovered: [peripheralUuid: string, serviceUuid: string, characteristics: unknown[]];
  read: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string, data: Buffer, isNotification: boolean];
  write: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string];
  broadcast: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string, state: boolean];
  notify: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string, state: boolean];
  descriptorsDiscover: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptors: string[]];
  valueRead: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string, data: Buffer];
  valueWrite: [peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string];
  handleRead: [peripheralUuid: string, handle: number, data: Buffer];
  handleWrite: [peripheralUuid: string, handle: number];
  handleNotify: [peripheralUuid: string, handle: number, data: Buffer];
  onMtu: [peripheralUuid: string, mtu: number];
}

/** The methods noble calls on its bindings (all answer through the events above). */
export interface NobleBindings extends EventEmitter<NobleBindingsEvents> {
  /** Called once, lazily, when the first `stateChange` listener is added or `state` is read. */
  init(): void;
  setScanParameters(interval: number, window: number): void;
  startScanning(serviceUuids?: string[], allowDuplicates?: boolean): void;
  stopScanning(): void;
  reset(): void;
  connect(peripheralUuid: string, parameters?: unknown): void;
  cancelConnect(peripheralUuid: string, parameters?: unknown): void;
  disconnect(peripheralUuid: string): void;
  updateRssi(peripheralUuid: string): void;
  discoverServices(peripheralUuid: string, serviceUuids?: string[]): void;
  discoverIncludedServices(peripheralUuid: string, serviceUuid: string, serviceUuids?: string[]): void;
  discoverCharacteristics(peripheralUuid: string, serviceUuid: string, characteristicUuids?: string[]): void;
  read(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): void;
  write(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, data: Buffer, withoutResponse: boolean): void;
  broadcast(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, broadcast: boolean): void;
  notify(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, notify: boolean): void;
  discoverDescriptors(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): void;
  readValue(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string): void;
  writeValue(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string, data: Buffer): void;
  readHandle(peripheralUuid: string, handle: number): void;
  writeHandle(peripheralUuid: string, handle: number, data: Buffer, withoutResponse: boolean): void;
  /** Optional in noble: used by `noble.addService(s)` to seed the GATT cache. */
  addService?(peripheralUuid: string, service: unknown): void;
  addCharacteristics?(peripheralUuid: string, serviceUuid: string, characteristics: unknown): void;
}
