import {
  isMessageFrame,
  readUintAfter,
  scanCentrifugoPublication,
  scanRoomcastMessage,
  type ScannedMessage,
} from './frame-scan';

/** Encoded the way the gateway encodes it (services/gateway/src/app.ts deliverMessage). */
function gatewayMessage(seq: number, text: string, sentAt: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      type: 'message',
      roomId: 'r1',
      seq,
      id: 'm-1',
      userId: 'u"seq":7',
      clientMsgId: 'c1',
      text,
      masked: false,
      sentAt,
      acceptedAt: sentAt + 3,
    }),
  );
}

describe('frame scanning', () => {
  const out: ScannedMessage = { seq: 0, sentAt: 0 };

  it('reads seq and sentAt of a gateway message frame without parsing', () => {
    const buf = gatewayMessage(42, 'hello', 1_700_000_000_123);
    expect(isMessageFrame(buf)).toBe(true);
    expect(scanRoomcastMessage(buf, out)).toBe(true);
    expect(out).toEqual({ seq: 42, sentAt: 1_700_000_000_123 });
  });

  it('is not fooled by keys inside string values (they are escaped in JSON)', () => {
    const buf = gatewayMessage(9, 'x "seq":1 "sentAt":5 {"type":"message"', 77);
    expect(scanRoomcastMessage(buf, out)).toBe(true);
    expect(out).toEqual({ seq: 9, sentAt: 77 });
  });

  it('does not take other frames for message frames', () => {
    expect(isMessageFrame(Buffer.from('{"type":"likes","roomId":"r","total":3}'))).toBe(false);
    expect(isMessageFrame(Buffer.from('{"ty'))).toBe(false);
  });

  it('reports a missing key as -1', () => {
    expect(readUintAfter(Buffer.from('{"a":1}'), Buffer.from('"b":'))).toBe(-1);
    expect(readUintAfter(Buffer.from('{"b":"x"}'), Buffer.from('"b":'))).toBe(-1);
  });

  it('reads a Centrifugo publication push line (offset and sentAt in data)', () => {
    const line = Buffer.from(
      JSON.stringify({
        push: {
          channel: 'room',
          pub: {
            data: { clientMsgId: 'c', text: 'hi', sentAt: 123 },
            info: { user: 'u', client: 'c' },
            offset: 17,
          },
        },
      }),
    );
    const frame = Buffer.concat([Buffer.from('{}\n'), line]);
    expect(scanCentrifugoPublication(frame, 3, frame.length, out)).toBe(true);
    expect(out).toEqual({ seq: 17, sentAt: 123 });
  });

  it('gives seq -1 for a Centrifugo publication without offset (channel without history)', () => {
    const line = Buffer.from('{"push":{"channel":"room","pub":{"data":{"sentAt":5}}}}');
    expect(scanCentrifugoPublication(line, 0, line.length, out)).toBe(true);
    expect(out.seq).toBe(-1);
  });
});
