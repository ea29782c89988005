/**
 * The loopback TCP bridge, air side: lets centrals in other processes (a phone simulator) use this
 * process's Air, where the simulation and its clock live. Each TCP connection is one radio. Only
 * loopback by default: this is a simulator, not a network service.
 *
 * @example
 * const bridge = await serveAir(air, { port: 7433 });
 * // in another process: new AirBindings(await connectRemoteRadio({ port: 7433 }))
 */
import { createServer, type Socket } from 'node:net';
import type { Air } from './air.js';
import type { CentralLink } from './links.js';
import type { CentralRadio } from './centralRadio.js';
import { AttError, LinkClosedError } from './gattServer.js';
import {
  bridgeRequestSchema,
  fromBase64,
  lineSplitter,
  toBase64,
  type BridgeCall,
  type BridgeError,
  type BridgeMessage,
  type BridgeRequest,
  type LinkSnapshot,
} from './airBridgeProtocol.js';

/** A running bridge. */
export interface AirBridge {
  readonly host: string;
  readonly port: number;
  /** Stop listening and drop every remote radio (their connections are terminated). */
  close(): Promise<void>;
}

/** Serve `air` to remote radios on a loopback TCP port (0: any free port). */
export async function serveAir(air: Air, opts: { port?: number; host?: string } = {}): Promise<AirBridge> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const session = new RemoteCentralSession(air, socket);
    socket.on('close', () => {
      sockets.delete(socket);
      session.close();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  return {
    host,
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One remote radio: its scan, its links, and the requests it sends. */
class RemoteCentralSession {
  readonly #air: Air;
  readonly #socket: Socket;
  #radio: CentralRadio | null = null;
  #stopScan: (() => void) | null = null;
  readonly #links = new Map<number, CentralLink>();

  constructor(air: Air, socket: Socket) {
    this.#air = air;
    this.#socket = socket;
    socket.on('data', lineSplitter((line) => this.#onLine(line), () => socket.destroy()));
    socket.on('error', () => socket.destroy());
  }

  close(): void {
    this.#stopScan?.();
    for (const link of this.#links.values()) void link.disconnect();
    this.#links.clear();
  }

  #send(message: BridgeMessage): void {
    if (!this.#socket.destroyed) this.#socket.write(`${JSON.stringify(message)}\n`);
  }

  #onLine(line: string): void {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      this.#send({ id: 0, ok: false, error: { name: 'Error', message: 'not JSON' } });
      return;
    }
    const parsed = bridgeRequestSchema.safeParse(json);
    if (!parsed.success) {
      // Answer under the request's id when it has a numeric one, so the radio can match the error.
      const id = typeof json === 'object' && json !== null && 'id' in json && typeof json.id === 'number' ? Math.max(0, Math.floor(json.id)) : 0;
      this.#send({ id, ok: false, error: { name: 'Error', message: 'malformed request' } });
      return;
    }
    const request = parsed.data;
    this.#handle(request).then(
      (answer) => this.#send({ id: request.id, ok: true, ...answer }),
      (err: unknown) => this.#send({ id: request.id, ok: false, error: toBridgeError(err) }),
    );
  }

  async #handle(request: BridgeRequest): Promise<{ result?: unknown; link?: LinkSnapshot }> {
    if (request.op === 'hello') {
      if (this.#radio) throw new Error('hello already said');
      const r = request.radio ?? {};
      this.#radio = this.#air.radio({
        ...(r.address === undefined ? {} : { address: r.address }),
        ...(r.maxMtu === undefined ? {} : { maxMtu: r.maxMtu }),
        ...(r.rssi === undefined ? {} : { rssi: r.rssi }),
      });
      return { result: { address: this.#radio.address, maxMtu: this.#radio.maxMtu } };
    }
    const radio = this.#radio;
    if (!radio) throw new Error('say hello first');
    switch (request.op) {
      case 'scan':
        this.#stopScan?.();
        this.#stopScan = radio.startScan((report) =>
          this.#send({
            event: 'advert',
            report: {
              ...report,
              advertisement: {
                localName: report.advertisement.localName,
                serviceUuids: report.advertisement.serviceUuids,
                ...(report.advertisement.txPowerLevel === undefined ? {} : { txPowerLevel: report.advertisement.txPowerLevel }),
                ...(report.advertisement.manufacturerData === undefined ? {} : { manufacturerData: toBase64(report.advertisement.manufacturerData) }),
              },
            },
          }),
        );
        return {};
      case 'stopScan':
        this.#stopScan?.();
        this.#stopScan = null;
        return {};
      case 'connect': {
        const link = await radio.connect(request.address);
        this.#links.set(link.id, link);
        link.onNotification((serviceUuid, characteristicUuid, data) =>
          this.#send({ event: 'notification', link: link.id, serviceUuid, characteristicUuid, data: toBase64(data), snapshot: snapshot(link) }),
        );
        link.onClose((reason) => {
          this.#links.delete(link.id);
          this.#send({ event: 'close', link: link.id, reason, snapshot: snapshot(link) });
        });
        return { result: { link: link.id }, link: snapshot(link) };
      }
      case 'call': {
        const link = this.#links.get(request.link);
        if (!link) throw new LinkClosedError(0x16);
        const result = await call(link, request.call);
        return { result, link: snapshot(link) };
      }
      case 'disconnect': {
        const link = this.#links.get(request.link);
        if (link) await link.disconnect();
        return {};
      }
    }
  }
}

async function call(link: CentralLink, c: BridgeCall): Promise<unknown> {
  switch (c.method) {
    case 'exchangeMtu':
      return link.exchangeMtu(c.args[0]);
    case 'discoverServices':
      return link.discoverServices(c.args[0]);
    case 'discoverCharacteristics':
      return link.discoverCharacteristics(c.args[0], c.args[1]);
    case 'read':
      return toBase64(await link.read(c.args[0], c.args[1]));
    case 'write':
      return link.write(c.args[0], c.args[1], fromBase64(c.args[2]), c.args[3]);
    case 'subscribe':
      return link.subscribe(c.args[0], c.args[1], c.args[2]);
  }
}

function snapshot(link: CentralLink): LinkSnapshot {
  return { mtu: link.mtu, rssi: link.rssi(), metrics: link.metrics() };
}

function toBridgeError(err: unknown): BridgeError {
  if (err instanceof AttError) return { name: 'AttError', message: err.message, attCode: err.attCode };
  if (err instanceof LinkClosedError) return { name: 'LinkClosedError', message: err.message, reason: err.reason };
  return { name: 'Error', message: err instanceof Error ? err.message : String(err) };
}
