import {
  FrameKind,
  ScannedBatch,
  isMessageFrame,
  messageFrameKind,
  readUintAfter,
  scanCentrifugoPublication,
  scanMessagesFrame,
  scanRoomcastMessage,
  type ScannedMessage,
} from './frame-scan';
import { MessageFrame, MessagesFrame } from '@roomcast/contracts';

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
    expect(out).toEqual({ seq: 42, sentAt: 1_700_000_000_123, gift: false });
  });

  it('is not fooled by keys inside string values (they are escaped in JSON)', () => {
    const buf = gatewayMessage(9, 'x "seq":1 "sentAt":5 {"type":"message"', 77);
    expect(scanRoomcastMessage(buf, out)).toBe(true);
    expect(out).toEqual({ seq: 9, sentAt: 77, gift: false });
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
    expect(out).toEqual({ seq: 17, sentAt: 123, gift: false });
  });

  it('gives seq -1 for a Centrifugo publication without offset (channel without history)', () => {
    const line = Buffer.from('{"push":{"channel":"room","pub":{"data":{"sentAt":5}}}}');
    expect(scanCentrifugoPublication(line, 0, line.length, out)).toBe(true);
    expect(out.seq).toBe(-1);
  });
});

// ------------------------------------------------------------------ protocol v2 `messages` frames

interface Item {
  seq: number;
  text?: string;
  sentAt?: number;
  priority?: 'high';
  /** A gift's data (the item then has priority high, kind gift, data: as the gateway writes it). */
  gift?: Record<string, unknown>;
}

/**
 * One batch item exactly as the gateway writes it (contracts ws.ts BatchedMessage; keys in this
 * order, `priority` last and only when high).
 */
function itemJson({ seq, text = 'hello', sentAt = 1_733_212_345_000 + seq, priority, gift }: Item): string {
  const base = {
    seq,
    id: `m-${seq}`,
    userId: 'u-1',
    clientMsgId: `c-${seq}`,
    text,
    masked: false,
    sentAt,
    acceptedAt: sentAt + 12,
  };
  if (gift !== undefined) return JSON.stringify({ ...base, priority: 'high', kind: 'gift', data: gift });
  return JSON.stringify(priority === 'high' ? { ...base, priority: 'high' } : base);
}

/** A `messages` frame exactly as the gateway writes it: type, roomId, fromSeq, toSeq, thinned, messages. */
function batchFrame(fromSeq: number, toSeq: number, thinned: number, items: Item[]): string {
  return `{"type":"messages","roomId":"r1","fromSeq":${fromSeq},"toSeq":${toSeq},"thinned":${thinned},"messages":[${items.map(itemJson).join(',')}]}`;
}

function scan(text: string, out = new ScannedBatch()): ScannedBatch | null {
  return scanMessagesFrame(Buffer.from(text), out) ? out : null;
}

function itemsOf(b: ScannedBatch): [number, number][] {
  return Array.from({ length: b.count }, (_, i): [number, number] => [
    b.seqs[i] as number,
    b.sentAts[i] as number,
  ]);
}

describe('messages (v2) frame scanning', () => {
  it("reads the range, the thinned count and every item's seq and sentAt of a gateway frame", () => {
    const text = batchFrame(41, 45, 1, [
      { seq: 41 },
      { seq: 42 },
      { seq: 44, priority: 'high' },
      { seq: 45, sentAt: 1_733_212_399_999 },
    ]);
    // The fixture is the contracts' MessagesFrame (so the pinned shape is the real one).
    expect(MessagesFrame.safeParse(JSON.parse(text)).success).toBe(true);
    expect(messageFrameKind(Buffer.from(text))).toBe(FrameKind.Messages);
    const b = scan(text);
    expect(b).not.toBeNull();
    expect({ from: b?.fromSeq, to: b?.toSeq, thinned: b?.thinned, count: b?.count }).toEqual({
      from: 41,
      to: 45,
      thinned: 1,
      count: 4,
    });
    expect(itemsOf(b as ScannedBatch)).toEqual([
      [41, 1_733_212_345_041],
      [42, 1_733_212_345_042],
      [44, 1_733_212_345_044],
      [45, 1_733_212_399_999],
    ]);
  });

  it('flags gifts (high priority, kind gift) and skips their data, nested objects and braces in strings included', () => {
    const text = batchFrame(1, 5, 0, [
      { seq: 1 },
      { seq: 2, gift: { giftId: 'rose', count: 1, combo: { id: 'm-2', count: 1 } } },
      { seq: 3, priority: 'high' },
      { seq: 4, gift: { giftId: 'rocket', count: 2, combo: { id: 'a}"{b\\', count: 7 } } },
      { seq: 5, text: '"kind":"gift","data":{' },
    ]);
    expect(MessagesFrame.safeParse(JSON.parse(text)).success).toBe(true);
    const b = scan(text) as ScannedBatch;
    expect(b).not.toBeNull();
    expect(itemsOf(b).map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(b.gifts.subarray(0, b.count))).toEqual([0, 1, 0, 1, 0]);
    // A gift as a later item is read by shape too, and the flags are reset frame after frame.
    expect(scan(batchFrame(6, 6, 0, [{ seq: 6 }]), b)?.gifts[0]).toBe(0);
  });

  it.each([
    ['a kind other than gift', batchFrame(1, 1, 0, [{ seq: 1, gift: {} }]).replace('"kind":"gift"', '"kind":"poll"')],
    ['a gift without priority', batchFrame(1, 1, 0, [{ seq: 1, gift: {} }]).replace('"priority":"high",', '')],
    ['gift data that is not an object', batchFrame(1, 1, 0, [{ seq: 1, gift: {} }]).replace('"data":{}', '"data":[]')],
    ['a key after the data', batchFrame(1, 1, 0, [{ seq: 1, gift: {} }]).replace('"data":{}}', '"data":{},"replyTo":1}')],
    ['unclosed gift data', batchFrame(1, 1, 0, [{ seq: 1, gift: {} }]).replace('"data":{}}]}', '"data":{"a":{}}]}')],
  ])('does not scan a gift item with %s', (_what, text) => {
    expect(scan(text)).toBeNull();
  });

  it('is not fooled by structure inside texts (escaped quotes, },{, keys, brackets, backslashes, UTF-8)', () => {
    const tricky = [
      '\\"seq\\":1',
      'a},{"seq":99,"sentAt":1}',
      '"sentAt":5 "acceptedAt":6 ]}',
      'ends with a backslash \\',
      '\\',
      '\\"',
      'ünïcödé 🎉 聊天 {"type":"messages"',
      '","masked":true,"sentAt":7',
    ];
    const items = tricky.map((text, i) => ({ seq: 10 + i, text }));
    const b = scan(batchFrame(10, 10 + tricky.length - 1, 0, items));
    expect(b).not.toBeNull();
    expect(itemsOf(b as ScannedBatch)).toEqual(items.map((it) => [it.seq, 1_733_212_345_000 + it.seq]));
  });

  it('reads a frame whose messages were all thinned (empty list)', () => {
    const b = scan(batchFrame(7, 9, 3, []));
    expect(b).toMatchObject({ fromSeq: 7, toSeq: 9, thinned: 3, count: 0 });
  });

  it('grows its arrays for large batches and reuses them frame after frame', () => {
    const out = new ScannedBatch(4);
    const many = Array.from({ length: 1000 }, (_, i) => ({ seq: i + 1 }));
    expect(scan(batchFrame(1, 1000, 0, many), out)?.count).toBe(1000);
    expect(out.seqs[999]).toBe(1000);
    expect(scan(batchFrame(1001, 1002, 0, [{ seq: 1001 }, { seq: 1002 }]), out)?.count).toBe(2);
    expect(itemsOf(out)).toEqual([
      [1001, 1_733_212_346_001],
      [1002, 1_733_212_346_002],
    ]);
  });

  // Each of these is a frame shape the scanner does not read: it must say so (the caller then
  // counts the frame as unscanned and takes the JSON path), never return figures read wrongly.
  const good = batchFrame(1, 3, 1, [{ seq: 1 }, { seq: 3 }]);
  const variants: [string, string][] = [
    ['renamed sentAt', good.replace('"sentAt":1733212345001', '"sentAtMs":1733212345001')],
    ['renamed seq', good.replace('{"seq":3', '{"sequence":3')],
    ['renamed thinned', good.replace('"thinned"', '"dropped"')],
    ['renamed fromSeq', good.replace('"fromSeq"', '"from"')],
    ['renamed messages', good.replace('"messages":[', '"items":[')],
    [
      'type not first',
      good.replace('{"type":"messages","roomId":"r1",', '{"roomId":"r1","type":"messages",'),
    ],
    ['toSeq before fromSeq', good.replace('"fromSeq":1,"toSeq":3', '"toSeq":3,"fromSeq":1')],
    [
      'sentAt before masked',
      good.replace('"masked":false,"sentAt":1733212345001', '"sentAt":1733212345001,"masked":false'),
    ],
    ['seq not first in item', good.replace('{"seq":1,"id":"m-1"', '{"id":"m-1","seq":1')],
    ['extra key in item', good.replace('"acceptedAt":1733212345013}', '"acceptedAt":1733212345013,"x":1}')],
    [
      'priority other than high',
      good.replace('"acceptedAt":1733212345013}', '"acceptedAt":1733212345013,"priority":"normal"}'),
    ],
    ['extra key in frame', good.replace('"thinned":1,', '"thinned":1,"x":0,')],
    ['whitespace', JSON.stringify(JSON.parse(good), null, 1)],
    ['float sentAt', good.replace('"sentAt":1733212345001', '"sentAt":1733212345001.5')],
    ['negative seq', good.replace('{"seq":1,', '{"seq":-1,')],
    ['leading zero', good.replace('{"seq":1,', '{"seq":01,')],
    ['string seq', good.replace('{"seq":1,', '{"seq":"1",')],
    ['masked not a boolean', good.replace('"masked":false', '"masked":0')],
    ['truncated', good.slice(0, -2)],
    ['trailing bytes', `${good} `],
    [
      'escaped closing quote of a text',
      good.replace(
        '"text":"hello","masked":false,"sentAt":1733212345003',
        '"text":"hello\\","masked":false,"sentAt":1733212345003',
      ),
    ],
  ];
  it.each(variants)('does not scan a frame with %s', (_what, text) => {
    expect(text).not.toBe(good);
    expect(scan(good)).not.toBeNull();
    expect(scan(text)).toBeNull();
  });

  // Later items are matched by key shape (length and punctuation): what an encoder could change
  // in one item but not the others still fails.
  const later: [string, string][] = [
    ['renamed sentAt (longer)', good.replace('"sentAt":1733212345003', '"sentAtMs":1733212345003')],
    [
      'renamed text (shorter)',
      good.replace(
        '"text":"hello","masked":false,"sentAt":1733212345003',
        '"txt":"hello","masked":false,"sentAt":1733212345003',
      ),
    ],
    [
      'sentAt and masked swapped (same length)',
      good.replace('"masked":false,"sentAt":1733212345003', '"sentAt":1733212345003,"masked":false'),
    ],
    [
      'a priority other than high',
      good.replace('"acceptedAt":1733212345015}', '"acceptedAt":1733212345015,"priority":"normal"}'),
    ],
    ['whitespace', good.replace('{"seq":3,', '{"seq":3, ')],
    ['seq not first', good.replace('{"seq":3,"id":"m-3"', '{"id":"m-3","seq":3')],
  ];
  it.each(later)('does not scan a frame whose second item has %s', (_what, text) => {
    expect(text).not.toBe(good);
    expect(scan(text)).toBeNull();
  });

  const inconsistent: [string, string][] = [
    ['more seqs than the range', batchFrame(1, 2, 0, [{ seq: 1 }, { seq: 2 }, { seq: 3 }])],
    ['items + thinned short of the range', batchFrame(1, 4, 1, [{ seq: 1 }, { seq: 2 }])],
    ['thinned overstated', batchFrame(1, 2, 2, [{ seq: 1 }])],
    ['seq below fromSeq', batchFrame(5, 6, 0, [{ seq: 4 }, { seq: 6 }])],
    ['seqs out of order', batchFrame(1, 2, 0, [{ seq: 2 }, { seq: 1 }])],
    ['a seq twice', batchFrame(1, 2, 0, [{ seq: 1 }, { seq: 1 }])],
    ['toSeq below fromSeq', batchFrame(3, 2, 0, [])],
    ['fromSeq 0', batchFrame(0, 0, 1, [])],
  ];
  it.each(inconsistent)('does not scan a frame whose seq range is inconsistent: %s', (_what, text) => {
    expect(MessagesFrame.safeParse(JSON.parse(text)).success).toBe(false);
    expect(scan(text)).toBeNull();
  });

  it('tells message from messages frames by their first bytes', () => {
    expect(messageFrameKind(Buffer.from('{"type":"message","roomId":"r"}'))).toBe(FrameKind.Message);
    expect(messageFrameKind(Buffer.from('{"type":"messages","roomId":"r"}'))).toBe(FrameKind.Messages);
    expect(messageFrameKind(Buffer.from('{"type":"messagez"}'))).toBe(FrameKind.Other);
    expect(messageFrameKind(Buffer.from('{"type":"message'))).toBe(FrameKind.Other);
    expect(messageFrameKind(Buffer.from('{"type":"likes","roomId":"r","total":1}'))).toBe(FrameKind.Other);
  });
});

describe('message (v1) frame scanning is strict too', () => {
  const out: ScannedMessage = { seq: 0, sentAt: 0 };
  const good = gatewayMessage(5, 'hi', 100);

  it('reads a high-priority message frame', () => {
    const text = `${good.toString().slice(0, -1)},"priority":"high"}`;
    expect(MessageFrame.safeParse(JSON.parse(text)).success).toBe(true);
    expect(scanRoomcastMessage(Buffer.from(text), out)).toBe(true);
    expect(out).toEqual({ seq: 5, sentAt: 100, gift: false });
  });

  it('reads a gift message frame', () => {
    const text = `${good.toString().slice(0, -1)},"priority":"high","kind":"gift","data":{"giftId":"rose","count":1,"combo":{"id":"m-1","count":4}}}`;
    expect(MessageFrame.safeParse(JSON.parse(text)).success).toBe(true);
    expect(scanRoomcastMessage(Buffer.from(text), out)).toBe(true);
    expect(out).toEqual({ seq: 5, sentAt: 100, gift: true });
  });

  it.each([
    [
      'roomId before type',
      good.toString().replace('{"type":"message","roomId":"r1",', '{"roomId":"r1","type":"message",'),
    ],
    ['renamed sentAt', good.toString().replace('"sentAt"', '"sent"')],
    ['seq after id', good.toString().replace('"seq":5,"id":"m-1"', '"id":"m-1","seq":5')],
    ['whitespace', JSON.stringify(JSON.parse(good.toString()), null, 2)],
    ['trailing bytes', `${good.toString()}\n`],
  ])('does not scan a message frame with %s', (_what, text) => {
    expect(scanRoomcastMessage(Buffer.from(text), out)).toBe(false);
  });
});
