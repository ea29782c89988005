/**
 * The loopback air bridge: a phone whose radio is in another "process" (over TCP) uses the same
 * noble code against the car, gets the same answers and the same link figures, and the bridge
 * survives garbage on its socket.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveAir, type AirBridge } from '../../../ble-sim/air/airBridgeServer.js';
import { MAX_LINE_BYTES } from '../../../ble-sim/air/airBridgeProtocol.js';
import { connectRemoteRadio, type RemoteRadio } from '../../../ble-sim/air/remoteRadio.js';
import { AirBindings } from '../../../ble-sim/noble/airBindings.js';
import { createNoble } from '../../../ble-sim/noble/createNoble.js';
import { sendCommand } from '../../../ble-sim/phone/phoneCentral.js';
import { createBleWorld, ORIGIN, RP_ID, VIN, type BleWorld } from '../../support/bleFixtures.js';

let world: BleWorld | undefined;
let bridge: AirBridge | undefined;
let radio: RemoteRadio | undefined;
afterEach(async () => {
  await radio?.close();
  await bridge?.close();
  await world?.cleanup();
  world = bridge = radio = undefined;
});

async function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => socket.write(payload));
    let received = '';
    socket.on('data', (d) => {
      received += d.toString();
    });
    socket.on('close', () => resolve(received));
    socket.on('error', () => undefined);
    setTimeout(() => socket.end(), 100);
  });
}

describe('air bridge', () => {
  it('carries a whole command for a remote phone, with the same metrics the air recorded', async () => {
    const w = (world = await createBleWorld());
    bridge = await serveAir(w.air);
    radio = await connectRemoteRadio({ port: bridge.port });
    const bindings = new AirBindings(radio);
    const key = await w.issueKey();
    const { response, metrics } = await sendCommand({ noble: createNoble(bindings), metricsSource: bindings, advertising: w.advertising, vin: VIN, cmd: 'unlock', credential: key.credential, responseKey: key.responseKey, passkeyId: key.passkey.id, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    expect(response).toMatchObject({ ok: true, code: 'OK', vehicle: { locked: false } });
    const record = w.air.connections().at(-1)!;
    expect(record.centralAddress).toBe(radio.address);
    expect(metrics).toEqual(record.metrics());
    expect(w.vehicle.events().at(-1)).toMatchObject({ ok: true, central: radio.address });
  });

  it('answers malformed lines with errors and drops a socket that sends an endless line, then still serves', async () => {
    const w = (world = await createBleWorld());
    bridge = await serveAir(w.air);
    const answers = await rawExchange(
      bridge.port,
      ['not json', '{"id":1,"op":"connect","address":"x"}', '{"id":2,"op":"hello","radio":{"maxMtu":9999}}', '{"id":3,"op":"call","link":1}', '[]', ''].join('\n'),
    );
    const lines = answers.trim().split('\n').map((l) => JSON.parse(l) as { id: number; ok: boolean });
    // Answers may come in any order (requests are handled concurrently): one refusal each.
    expect(lines.map((l) => [l.id, l.ok]).sort()).toEqual([
      [0, false],
      [0, false],
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(await rawExchange(bridge.port, 'x'.repeat(MAX_LINE_BYTES + 10))).toBe('');

    radio = await connectRemoteRadio({ port: bridge.port });
    const key = await w.issueKey();
    const { response } = await sendCommand({ noble: createNoble(new AirBindings(radio)), advertising: w.advertising, vin: VIN, cmd: 'unlock', credential: key.credential, responseKey: key.responseKey, passkeyId: key.passkey.id, authenticator: w.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    expect(response.ok).toBe(true);
  });

  it("terminates a remote radio's connections when its socket goes away", async () => {
    const w = (world = await createBleWorld());
    bridge = await serveAir(w.air);
    const r = await connectRemoteRadio({ port: bridge.port });
    const link = await r.connect(w.vehicle.address);
    const closed = new Promise<number>((resolve) => link.onClose(resolve));
    await r.close();
    await closed;
    await expect.poll(() => w.air.connections().every((c) => !c.open)).toBe(true);
  });
});
