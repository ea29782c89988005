/**
 * What the simulated air measures on each connection, and what a packet costs on air. Latency is
 * counted in connection events and simulated milliseconds, never wall time, so the figures are
 * deterministic and comparable between runs and machines (DESIGN.md §3).
 */

/** Per-connection measurements, as the air recorded them. */
export interface LinkMetrics {
  /** ATT request/response exchanges completed (MTU exchange, discovery, reads, writes, CCCD). */
  roundTrips: number;
  /** Connection events that carried traffic, including retransmissions, setup and termination. */
  connectionEvents: number;
  /** Notifications delivered to the central. */
  notifications: number;
  /** Packets lost on air and sent again in the next event. */
  retransmissions: number;
  /** Bytes on air each way, with link-layer and L2CAP overhead and empty PDUs. */
  bytesOnAir: { centralToPeripheral: number; peripheralToCentral: number };
  /** Simulated time from the connection request to the last event so far. */
  simulatedMs: number;
  /** Negotiated ATT MTU. */
  mtu: number;
  /** Connection interval in ms. */
  intervalMs: number;
}

/** Preamble (1) + access address (4) + LL header (2) + CRC (3): every link-layer packet, empty or not. */
export const LL_PACKET_OVERHEAD = 10;
/** Basic L2CAP header in front of every ATT PDU. */
export const L2CAP_HEADER = 4;
/** Link-layer payload with data length extension; a larger ATT PDU spans several LL packets. */
export const LL_MAX_PAYLOAD = 251;
/** LL_TERMINATE_IND: opcode + error code. */
export const LL_TERMINATE_PAYLOAD = 2;

/** Bytes on air for one ATT PDU of `attBytes` (0: an empty link-layer PDU). */
export function airBytes(attBytes: number): number {
  if (attBytes === 0) return LL_PACKET_OVERHEAD;
  const payload = attBytes + L2CAP_HEADER;
  return payload + LL_PACKET_OVERHEAD * Math.ceil(payload / LL_MAX_PAYLOAD);
}

/** Metrics of a connection before its first event. */
export function emptyLinkMetrics(mtu: number, intervalMs: number): LinkMetrics {
  return {
    roundTrips: 0,
    connectionEvents: 0,
    notifications: 0,
    retransmissions: 0,
    bytesOnAir: { centralToPeripheral: 0, peripheralToCentral: 0 },
    simulatedMs: 0,
    mtu,
    intervalMs,
  };
}

/**
 * Something that can report a connection's metrics by peer id (AirBindings does, by noble peripheral
 * id). The phone is handed one; it never digs it out of noble.
 */
export interface LinkMetricsSource {
  linkMetrics(peerId: string): LinkMetrics | undefined;
}

/**
 * What a command cost from the established connection to the car's answer ("connected →
 * actuated"): answer-time metrics without the connection's first event (the link layer's set-up, an
 * empty packet each way, before anything of ours can be sent).
 */
export function connectedToAnswer(atAnswer: LinkMetrics): Pick<LinkMetrics, 'roundTrips' | 'connectionEvents' | 'bytesOnAir' | 'simulatedMs'> {
  return {
    roundTrips: atAnswer.roundTrips,
    connectionEvents: atAnswer.connectionEvents - 1,
    bytesOnAir: {
      centralToPeripheral: atAnswer.bytesOnAir.centralToPeripheral - LL_PACKET_OVERHEAD,
      peripheralToCentral: atAnswer.bytesOnAir.peripheralToCentral - LL_PACKET_OVERHEAD,
    },
    simulatedMs: atAnswer.simulatedMs - atAnswer.intervalMs,
  };
}
