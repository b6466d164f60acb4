import type { ChatAcceptedV1 } from '@roomcast/contracts';

/** First header byte of a server text frame: FIN set, no RSV bits (no compression), opcode 1. */
const FIN_TEXT = 0x81;

/**
 * The complete WebSocket frame (RFC 6455 §5.2: header + payload, unmasked as server frames are)
 * of a text message, as one buffer. Built once per room frame so the same bytes are written to
 * every member socket (`Connection.sendFramed`); `ws.send` would build a header per socket and
 * write header and payload separately. Valid only while permessage-deflate is off (it is: the
 * gateway's WebSocketServer sets `perMessageDeflate: false`).
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
 * One accepted message as the JSON object both protocols carry: a `messages` batch item (v2),
 * or, with `type` and `roomId` in front, a `message` frame (v1). Keys in this order, `seq` first:
 * the load tool reads seq and sentAt from the bytes (packages/load/src/frame-scan.ts), and a test
 * pins that it can (fanout.test.ts).
 */
export function encodeItem(m: ChatAcceptedV1): string {
  return JSON.stringify(
    m.priority === 'high'
      ? {
          seq: m.seq,
          id: m.id,
          userId: m.userId,
          clientMsgId: m.clientMsgId,
          text: m.text,
          masked: m.masked,
          sentAt: m.sentAt,
          acceptedAt: m.acceptedAt,
          priority: 'high',
        }
      : {
          seq: m.seq,
          id: m.id,
          userId: m.userId,
          clientMsgId: m.clientMsgId,
          text: m.text,
          masked: m.masked,
          sentAt: m.sentAt,
          acceptedAt: m.acceptedAt,
        },
  );
}

/** The v1 `message` frame text of an item: `{"type":"message","roomId":..,` + the item's keys. */
export function messageFrameText(roomIdJson: string, item: string): string {
  return `{"type":"message","roomId":${roomIdJson},${item.slice(1)}`;
}

/** The v2 `messages` frame text covering fromSeq..toSeq, `items` already encoded and in seq order. */
export function messagesFrameText(
  roomIdJson: string,
  fromSeq: number,
  toSeq: number,
  thinned: number,
  items: readonly string[],
): string {
  return `{"type":"messages","roomId":${roomIdJson},"fromSeq":${fromSeq},"toSeq":${toSeq},"thinned":${thinned},"messages":[${items.join(',')}]}`;
}
