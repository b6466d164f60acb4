import { PROTOCOL_VERSION, type ProtocolVersion } from './ws';

/** First header byte of a server text frame: FIN set, no RSV bits (no compression), opcode 1. */
const FIN_TEXT = 0x81;

/**
 * The complete WebSocket frame (RFC 6455 §5.2: header + payload, unmasked as server frames are)
 * of a text message, as one Node Buffer. Servers build a room's frame once and write the same bytes
 * to every member's TCP socket (the gateway's fan-out, the load tool's stub). Valid only while
 * permessage-deflate is off, as it is on both.
 */
export function textFrame(payload: string | Buffer): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_TEXT;
  if (header === 2) frame[1] = length;
  else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (typeof payload === 'string') frame.write(payload, header);
  else payload.copy(frame, header);
  return frame;
}

/**
 * The protocol version for a client that declared `requested` (the newest it speaks, from the
 * `protocol` query parameter): the newest both speak; v1 when it declared none; undefined when
 * the value is not a positive integer (close 4504 BAD_REQUEST).
 */
export function negotiateProtocol(requested: string | null): ProtocolVersion | undefined {
  if (requested === null || requested === '') return 1;
  if (!/^[1-9][0-9]{0,5}$/.test(requested)) return undefined;
  return Math.min(Number(requested), PROTOCOL_VERSION) as ProtocolVersion;
}
