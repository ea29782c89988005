/**
 * The loopback TCP bridge, radio side: a central radio whose air lives in another process (see
 * airBridgeServer.ts). It offers the same CentralRadioApi as a local radio, so AirBindings and noble
 * run over it unchanged. Link getters (MTU, RSSI, metrics) return the snapshot the air sent with
 * its last answer or event.
 *
 * @example
 * const radio = await connectRemoteRadio({ port: 7433 });
 * const noble = createNoble(new AirBindings(radio));
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { z } from 'zod';
import type { CentralLink } from './links.js';
import type { AdvertisementReport, CentralRadioApi, RadioOptions } from './centralRadio.js';
import { AttError, LinkClosedError } from './gattServer.js';
import type { GattCharacteristicDef, GattServiceDef } from './links.js';
import type { LinkMetrics } from './linkMetrics.js';
import {
  bridgeMessageSchema,
  callResultSchemas,
  connectAnswerSchema,
  fromBase64,
  helloResultSchema,
  lineSplitter,
  toBase64,
  type BridgeCall,
  type BridgeError,
  type BridgeMessage,
  type LinkSnapshot,
} from './airBridgeProtocol.js';

/** A central radio on an air in another process. */
export interface RemoteRadio extends CentralRadioApi {
  /** Close the bridge connection (the air terminates this radio's links). */
  close(): Promise<void>;
}

interface Pending {
  resolve(answer: { result?: unknown; link?: LinkSnapshot }): void;
  reject(err: Error): void;
}

/** Connect to an air bridge and get a radio on that air (one TCP connection per radio). */
export async function connectRemoteRadio(opts: { port: number; host?: string } & RadioOptions): Promise<RemoteRadio> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ port: opts.port, host: opts.host ?? '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const client = new BridgeClient(socket);
  const answer = await client.request({
    op: 'hello',
    radio: {
      ...(opts.address === undefined ? {} : { address: opts.address }),
      ...(opts.maxMtu === undefined ? {} : { maxMtu: opts.maxMtu }),
      ...(opts.rssi === undefined ? {} : { rssi: opts.rssi }),
    },
  });
  const hello = helloResultSchema.parse(answer.result);
  return {
    address: hello.address,
    maxMtu: hello.maxMtu,
    startScan: (listener) => client.startScan(listener),
    connect: (address) => client.connectLink(address),
    close: () => client.close(),
  };
}

class BridgeClient {
  readonly #socket: Socket;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #links = new Map<number, RemoteLink>();
  #scanListener: ((report: AdvertisementReport) => void) | null = null;

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on(
      'data',
      lineSplitter(
        (line) => this.#onLine(line),
        () => socket.destroy(),
      ),
    );
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new LinkClosedError(0x08));
      this.#pending.clear();
      for (const link of this.#links.values()) link.closed(0x08);
      this.#links.clear();
    });
  }

  request(body: Record<string, unknown>): Promise<{ result?: unknown; link?: LinkSnapshot }> {
    if (this.#socket.destroyed) return Promise.reject(new LinkClosedError(0x08));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#socket.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  startScan(listener: (report: AdvertisementReport) => void): () => void {
    this.#scanListener = listener;
    void this.request({ op: 'scan' }).catch(() => undefined);
    return () => {
      if (this.#scanListener === listener) this.#scanListener = null;
      void this.request({ op: 'stopScan' }).catch(() => undefined);
    };
  }

  async connectLink(address: string): Promise<CentralLink> {
    const answer = connectAnswerSchema.parse(await this.request({ op: 'connect', address }));
    const id = answer.result.link;
    const link = new RemoteLink(this, id, address, answer.link);
    this.#links.set(id, link);
    return link;
  }

  async close(): Promise<void> {
    if (this.#socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
    });
  }

  #onLine(line: string): void {
    let message: BridgeMessage;
    try {
      message = bridgeMessageSchema.parse(JSON.parse(line));
    } catch {
      return; // not from a bridge we understand: ignore the line
    }
    if ('id' in message) {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (!pending) return;
      if (message.ok) pending.resolve(message);
      else pending.reject(fromBridgeError(message.error));
      return;
    }
    switch (message.event) {
      case 'advert': {
        const { manufacturerData, ...advertisement } = message.report.advertisement;
        this.#scanListener?.({
          ...message.report,
          advertisement: { ...advertisement, ...(manufacturerData === undefined ? {} : { manufacturerData: fromBase64(manufacturerData) }) },
        });
        break;
      }
      case 'notification':
        this.#links.get(message.link)?.notified(message.serviceUuid, message.characteristicUuid, fromBase64(message.data), message.snapshot);
        break;
      case 'close':
        this.#links.get(message.link)?.update(message.snapshot);
        this.#links.get(message.link)?.closed(message.reason);
        this.#links.delete(message.link);
        break;
    }
  }
}

class RemoteLink implements CentralLink {
  #snapshot: LinkSnapshot;
  #open = true;
  readonly #notificationListeners: ((s: string, c: string, v: Uint8Array) => void)[] = [];
  readonly #closeListeners: ((reason: number) => void)[] = [];
  #closedPromise: Promise<void>;
  #resolveClosed!: () => void;

  constructor(
    readonly client: BridgeClient,
    readonly id: number,
    readonly peripheralAddress: string,
    snapshot: LinkSnapshot,
  ) {
    this.#snapshot = snapshot;
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  get mtu(): number {
    return this.#snapshot.mtu;
  }

  get open(): boolean {
    return this.#open;
  }

  metrics(): LinkMetrics {
    return structuredClone(this.#snapshot.metrics);
  }

  rssi(): number {
    return this.#snapshot.rssi;
  }

  update(snapshot: LinkSnapshot): void {
    this.#snapshot = snapshot;
  }

  notified(serviceUuid: string, characteristicUuid: string, value: Uint8Array, snapshot: LinkSnapshot): void {
    this.#snapshot = snapshot;
    for (const l of this.#notificationListeners) l(serviceUuid, characteristicUuid, value);
  }

  closed(reason: number): void {
    if (!this.#open) return;
    this.#open = false;
    for (const l of this.#closeListeners) l(reason);
    this.#resolveClosed();
  }

  exchangeMtu(clientMtu: number): Promise<number> {
    return this.#call({ method: 'exchangeMtu', args: [clientMtu] }, callResultSchemas.exchangeMtu);
  }

  discoverServices(uuids: readonly string[] = []): Promise<GattServiceDef[]> {
    return this.#call({ method: 'discoverServices', args: [[...uuids]] }, callResultSchemas.discoverServices);
  }

  discoverCharacteristics(serviceUuid: string, uuids: readonly string[] = []): Promise<GattCharacteristicDef[]> {
    return this.#call({ method: 'discoverCharacteristics', args: [serviceUuid, [...uuids]] }, callResultSchemas.discoverCharacteristics);
  }

  async read(serviceUuid: string, characteristicUuid: string): Promise<Uint8Array> {
    return fromBase64(await this.#call({ method: 'read', args: [serviceUuid, characteristicUuid] }, callResultSchemas.read));
  }

  async write(serviceUuid: string, characteristicUuid: string, value: Uint8Array, withoutResponse = false): Promise<void> {
    await this.#call({ method: 'write', args: [serviceUuid, characteristicUuid, toBase64(value), withoutResponse] }, callResultSchemas.write);
  }

  async subscribe(serviceUuid: string, characteristicUuid: string, enabled: boolean): Promise<void> {
    await this.#call({ method: 'subscribe', args: [serviceUuid, characteristicUuid, enabled] }, callResultSchemas.subscribe);
  }

  onNotification(listener: (serviceUuid: string, characteristicUuid: string, value: Uint8Array) => void): void {
    this.#notificationListeners.push(listener);
  }

  onClose(listener: (reason: number) => void): void {
    this.#closeListeners.push(listener);
  }

  async disconnect(): Promise<void> {
    if (this.#open) await this.client.request({ op: 'disconnect', link: this.id }).catch(() => undefined);
    await this.#closedPromise;
  }

  /** Run one GATT operation on the air side; its result is checked against the method's schema (callResultSchemas). */
  async #call<T>(call: BridgeCall, result: z.ZodType<T>): Promise<T> {
    if (!this.#open) throw new LinkClosedError(0x16);
    const answer = await this.client.request({ op: 'call', link: this.id, call });
    if (answer.link) this.#snapshot = answer.link;
    return result.parse(answer.result);
  }
}

function fromBridgeError(error: BridgeError): Error {
  if (error.name === 'AttError') return new AttError(error.attCode ?? 0x0e, error.message);
  if (error.name === 'LinkClosedError') return new LinkClosedError(error.reason ?? 0x08);
  return new Error(error.message);
}
