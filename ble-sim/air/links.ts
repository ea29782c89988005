/**
 * The two faces of a simulated BLE connection and the GATT table they carry, in a file of their own
 * so that the connection (airConnection.ts) and what a peripheral serves (gattServer.ts) both depend
 * on it and not on each other.
 */
import type { LinkMetrics } from './linkMetrics.js';

/** GATT characteristic properties, named as noble names them. */
export type CharacteristicProperty = 'read' | 'write' | 'writeWithoutResponse' | 'notify' | 'indicate';

/** One characteristic of a GATT table. */
export interface GattCharacteristicDef {
  readonly uuid: string;
  readonly properties: readonly CharacteristicProperty[];
}

/** One primary service of a GATT table. */
export interface GattServiceDef {
  readonly uuid: string;
  readonly characteristics: readonly GattCharacteristicDef[];
}

/** What a central's stack can do on a connection (noble's hci-socket `Gatt`, roughly). */
export interface CentralLink {
  readonly id: number;
  readonly peripheralAddress: string;
  /** The ATT MTU in force (23 until the MTU exchange). */
  readonly mtu: number;
  readonly open: boolean;
  metrics(): LinkMetrics;
  /** One RSSI reading in dBm. */
  rssi(): number;
  exchangeMtu(clientMtu: number): Promise<number>;
  discoverServices(uuids?: readonly string[]): Promise<GattServiceDef[]>;
  discoverCharacteristics(serviceUuid: string, uuids?: readonly string[]): Promise<GattCharacteristicDef[]>;
  read(serviceUuid: string, characteristicUuid: string): Promise<Uint8Array>;
  write(serviceUuid: string, characteristicUuid: string, value: Uint8Array, withoutResponse?: boolean): Promise<void>;
  subscribe(serviceUuid: string, characteristicUuid: string, enabled: boolean): Promise<void>;
  onNotification(listener: (serviceUuid: string, characteristicUuid: string, value: Uint8Array) => void): void;
  onClose(listener: (reason: number) => void): void;
  /** Terminate the connection; resolves once the peer has been told. */
  disconnect(): Promise<void>;
}

/** What a GATT server sees of a connection. */
export interface PeripheralLink {
  readonly id: number;
  readonly centralAddress: string;
  readonly mtu: number;
  readonly open: boolean;
  metrics(): LinkMetrics;
  rssi(): number;
  /** Average simulated ms per ATT round trip so far (retransmissions included). */
  roundTripMs(): number;
  isSubscribed(serviceUuid: string, characteristicUuid: string): boolean;
  /**
   * Turn on a CCCD the server kept from an earlier connection with this bonded central (Core Vol 3
   * Part G §3.3.3.3: a bonded client's configuration survives the connection). Call it from onConnect.
   */
  restoreSubscription(serviceUuid: string, characteristicUuid: string): void;
  /** Queue a notification; false when the central has not subscribed or the link is closed. */
  notify(serviceUuid: string, characteristicUuid: string, value: Uint8Array): boolean;
  disconnect(): void;
}
