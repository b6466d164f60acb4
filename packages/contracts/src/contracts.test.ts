import { AppError } from '@roomcast/errors';
import {
  ChatAcceptedV1,
  ClientFrame,
  ServerFrame,
  TOPICS,
  deliveryKey,
  deliveryTopic,
  topicKey,
  dlqTopic,
  isReconnectable,
  CLOSE_CODES,
  parseJson,
  MAX_CHAT_TEXT_CHARS,
  PROTOCOL_VERSION,
  negotiateProtocol,
  textFrame,
} from './index';

describe('client frames', () => {
  it('parses a chat frame', () => {
    const f = parseJson(ClientFrame, JSON.stringify({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'hi' }));
    expect(f).toEqual({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'hi' });
  });
  it('defaults like count to 1', () => {
    expect(parseJson(ClientFrame, '{"type":"like","roomId":"r"}')).toEqual({ type: 'like', roomId: 'r', count: 1 });
  });
  it('rejects unknown types, bad JSON, bad room ids and oversize text with BAD_FRAME', () => {
    for (const raw of [
      '{"type":"nope"}',
      'not json',
      '{"type":"join","roomId":"has space"}',
      JSON.stringify({ type: 'chat', roomId: 'r', clientMsgId: 'c', text: 'x'.repeat(MAX_CHAT_TEXT_CHARS + 1) }),
    ]) {
      let caught: unknown;
      try {
        parseJson(ClientFrame, raw);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(AppError);
      expect((caught as AppError).code).toBe('BAD_FRAME');
    }
  });
  it('uses the given code for Kafka records', () => {
    expect(() => parseJson(ChatAcceptedV1, '{}', 'BAD_EVENT')).toThrow(expect.objectContaining({ code: 'BAD_EVENT' }));
  });
  it('parses bytes: a Buffer, and a view into a larger buffer (only its own bytes)', () => {
    const text = '{"type":"like","roomId":"r"}';
    expect(parseJson(ClientFrame, Buffer.from(text))).toEqual({ type: 'like', roomId: 'r', count: 1 });
    const padded = new TextEncoder().encode(`xx${text}yy`);
    const view = new Uint8Array(padded.buffer, 2, padded.length - 4);
    expect(parseJson(ClientFrame, view)).toEqual({ type: 'like', roomId: 'r', count: 1 });
  });
});

describe('server frames', () => {
  it('validates error frames against the error code table', () => {
    expect(ServerFrame.safeParse({ type: 'error', code: 'BAD_FRAME', message: 'x', temporary: false }).success).toBe(true);
    expect(ServerFrame.safeParse({ type: 'error', code: 'MADE_UP', message: 'x', temporary: false }).success).toBe(false);
  });
});

describe('messages batch frames (protocol v2)', () => {
  const item = (seq: number) => ({ seq, id: `m${seq}`, userId: 'u', clientMsgId: `c${seq}`, text: 't', masked: false, sentAt: 1, acceptedAt: 2 });
  const frame = (fromSeq: number, toSeq: number, thinned: number, seqs: number[]) => ({ type: 'messages', roomId: 'r', fromSeq, toSeq, thinned, messages: seqs.map(item) });
  it('accepts a frame whose messages and thinned count cover its seq range', () => {
    expect(ServerFrame.safeParse(frame(3, 5, 0, [3, 4, 5])).success).toBe(true);
    expect(ServerFrame.safeParse(frame(3, 6, 2, [4, 6])).success).toBe(true);
  });
  it('refuses a range the messages and thinned count do not cover exactly', () => {
    expect(ServerFrame.safeParse(frame(3, 5, 0, [3, 5])).success).toBe(false);
    expect(ServerFrame.safeParse(frame(5, 3, 0, [])).success).toBe(false);
  });
  it('refuses messages out of seq order or outside the range', () => {
    expect(ServerFrame.safeParse(frame(3, 4, 0, [4, 3])).success).toBe(false);
    expect(ServerFrame.safeParse(frame(3, 4, 0, [3, 9])).success).toBe(false);
  });
});

describe('wire helpers', () => {
  it('frames text with the right header for each length class, as one buffer', () => {
    expect([...textFrame('hi')]).toEqual([0x81, 2, 0x68, 0x69]);
    const mid = textFrame('a'.repeat(126));
    expect([mid[1], mid.readUInt16BE(2), mid.length]).toEqual([126, 126, 130]);
    const edge = textFrame(Buffer.alloc(65_535, 0x61));
    expect([edge[1], edge.readUInt16BE(2), edge.length]).toEqual([126, 65_535, 65_539]);
    const big = textFrame('a'.repeat(70_000));
    expect([big[1], big.readUInt32BE(2), big.readUInt32BE(6), big.length]).toEqual([127, 0, 70_000, 70_010]);
    expect(textFrame('é').subarray(2).toString()).toBe('é');
    expect(textFrame('é')[1]).toBe(2); // bytes, not characters
  });

  it('negotiates the newest protocol both sides speak; v1 without a declaration; undefined for junk', () => {
    expect([null, '', '1', '2', '7'].map(negotiateProtocol)).toEqual([1, 1, 1, 2, PROTOCOL_VERSION]);
    expect(['x', '0', '-1', '2.5', '1e3', ' 2'].map(negotiateProtocol)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('topics and codes', () => {
  it('names topics <domain>.<entity>.<event>.v<N>', () => {
    for (const t of Object.values(TOPICS)) expect(t.name).toMatch(/^[a-z]+\.[a-z]+\.[a-z]+\.v\d+$/);
    expect(deliveryTopic('gw-1')).toBe('delivery.gateway.gw-1.v1');
    expect(dlqTopic('a.b.c.v1')).toBe('a.b.c.v1.dlq');
  });
  it('keys every catalog topic by the field its entry names (roomId), deliveries by their room', () => {
    for (const t of Object.values(TOPICS)) expect(t.key).toBe('roomId');
    const message = {
      id: 'm-1',
      roomId: 'room-9',
      seq: 1,
      userId: 'u',
      clientMsgId: 'c',
      text: 't',
      masked: false,
      sentAt: 1,
      acceptedAt: 2,
    };
    expect(topicKey('chatAccepted', message)).toBe('room-9');
    expect(topicKey('chatSubmitted', { ...message, gatewayId: 'gw', submittedAt: 1 })).toBe('room-9');
    expect(deliveryKey({ kind: 'room.message', message })).toBe('room-9');
    expect(
      deliveryKey({
        kind: 'user.rejected',
        rejected: { id: 'm', roomId: 'room-8', userId: 'u', clientMsgId: 'c', reason: 'r', rejectedAt: 1 },
      }),
    ).toBe('room-8');
  });
  it('splits close codes into reconnectable and terminal ranges', () => {
    expect(isReconnectable(CLOSE_CODES.SLOW_CONSUMER)).toBe(true);
    expect(isReconnectable(CLOSE_CODES.SHUTDOWN)).toBe(true);
    expect(isReconnectable(CLOSE_CODES.UNAUTHORIZED)).toBe(false);
    expect(isReconnectable(CLOSE_CODES.TOKEN_EXPIRED)).toBe(false);
  });
});
