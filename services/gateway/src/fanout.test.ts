import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import {
  CLOSE_CODES,
  ServerFrame,
  type ChatAcceptedV1,
  type MessagesFrame,
  type ProtocolVersion,
} from '@roomcast/contracts';
import { ScannedBatch, scanMessagesFrame, scanRoomcastMessage } from '@roomcast/load';
import { Counter, MetricsRegistry } from '@roomcast/service-kit';
import { Connection, type SendBudget } from './connection';
import { fanoutMetrics, RoomFanout, type FanoutOptions } from './fanout';
import { RoomRegistry } from './room-registry';
import { ThinningPolicy } from './thinning';

/** What Connection touches of a ws socket; bufferedAmount is the test's to set. */
class FakeWs {
  readyState = 1;
  bufferedAmount = 0;
  readonly closes: number[] = [];
  send(): void {
    throw new Error('the fan-out must write pre-framed bytes, not ws.send');
  }
  close(code: number): void {
    this.closes.push(code);
  }
}

/** The TCP socket under a connection: records every frame written, decoded. */
class FakeTcp {
  readonly raw: Buffer[] = [];
  write(b: Buffer): boolean {
    this.raw.push(b);
    return true;
  }
  frames(): ServerFrame[] {
    return this.raw.map((b) => ServerFrame.parse(JSON.parse(unframe(b))));
  }
}

/** The payload of one unmasked server text frame; fails on anything else. */
function unframe(b: Buffer): string {
  expect(b[0]).toBe(0x81);
  const len7 = (b[1] as number) & 0x7f;
  const [offset, length] =
    len7 === 126 ? [4, b.readUInt16BE(2)] : len7 === 127 ? [10, b.readUInt32BE(6)] : [2, len7];
  expect(b.length).toBe(offset + length);
  return b.subarray(offset).toString('utf8');
}

interface Member {
  conn: Connection;
  ws: FakeWs;
  tcp: FakeTcp;
}

const SOFT = 1000;
const HARD = 10_000;

function setup(options: Partial<FanoutOptions> = {}) {
  const registry = new RoomRegistry();
  const counters = fanoutMetrics(new MetricsRegistry());
  const budget: SendBudget = {
    softBytes: SOFT,
    hardBytes: HARD,
    dropped: new Counter(),
    slowClosed: new Counter(),
  };
  const fanout = new RoomFanout(
    registry,
    {
      windowMs: 50,
      roomWritesPerSec: 1,
      maxBatch: 10,
      thinning: new ThinningPolicy(),
      clock: () => Date.now(),
      ...options,
    },
    counters,
  );
  let n = 0;
  const join = (roomId: string, userId = `u${++n}`, protocol: ProtocolVersion = 2): Member => {
    const ws = new FakeWs();
    const tcp = new FakeTcp();
    const conn = new Connection(
      `c${++n}`,
      userId,
      ws as unknown as WebSocket,
      tcp as unknown as Duplex,
      protocol,
      budget,
      { ratePerSec: 1, burst: 1 },
    );
    registry.join(conn, roomId);
    return { conn, ws, tcp };
  };
  return { registry, fanout, counters, budget, join };
}

function msg(roomId: string, seq: number, extra: Partial<ChatAcceptedV1> = {}): ChatAcceptedV1 {
  return {
    id: `id${seq}`,
    roomId,
    seq,
    userId: 'author',
    clientMsgId: `c${seq}`,
    text: `text ${seq}`,
    masked: false,
    sentAt: 1000 + seq,
    acceptedAt: 2000 + seq,
    ...extra,
  };
}

function batches(m: Member): MessagesFrame[] {
  return m.tcp.frames().filter((f): f is MessagesFrame => f.type === 'messages');
}

function seqsOf(m: Member): number[] {
  return batches(m).flatMap((f) => f.messages.map((x) => x.seq));
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('RoomFanout: when a room flushes', () => {
  it('flushes a quiet room at the next tick, then holds the next messages for the window', () => {
    const { fanout, join } = setup({ windowMs: 50 });
    const a = join('r1');
    fanout.enqueue(msg('r1', 1));
    expect(a.tcp.raw).toHaveLength(0); // not inside the delivery handler: after the tick
    jest.advanceTimersByTime(0);
    expect(seqsOf(a)).toEqual([1]);

    fanout.enqueue(msg('r1', 2));
    jest.advanceTimersByTime(10);
    fanout.enqueue(msg('r1', 3));
    jest.advanceTimersByTime(39);
    expect(seqsOf(a)).toEqual([1]);
    jest.advanceTimersByTime(1); // 50 ms after the previous flush
    expect(batches(a).map((f) => [f.fromSeq, f.toSeq, f.messages.length])).toEqual([
      [1, 1, 1],
      [2, 3, 2],
    ]);
  });

  it('flushes at once when maxBatch messages wait', () => {
    const { fanout, join } = setup({ windowMs: 1000, maxBatch: 3 });
    const a = join('r1');
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    for (let s = 2; s <= 4; s++) fanout.enqueue(msg('r1', s));
    expect(batches(a).map((f) => [f.fromSeq, f.toSeq])).toEqual([
      [1, 1],
      [2, 4],
    ]);
  });

  it('scales the window with the room: N members wait N / roomWritesPerSec, at most windowMs', () => {
    const { fanout, join } = setup({ windowMs: 100, roomWritesPerSec: 40 });
    const a = join('r1');
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    fanout.enqueue(msg('r1', 2));
    jest.advanceTimersByTime(24);
    expect(seqsOf(a)).toEqual([1]);
    jest.advanceTimersByTime(1); // 1 member / 40 writes per second = 25 ms
    expect(seqsOf(a)).toEqual([1, 2]);

    for (let i = 0; i < 7; i++) join('r1'); // 8 members: 200 ms, capped at windowMs
    fanout.enqueue(msg('r1', 3));
    jest.advanceTimersByTime(99);
    expect(seqsOf(a)).toEqual([1, 2]);
    jest.advanceTimersByTime(1);
    expect(seqsOf(a)).toEqual([1, 2, 3]);
  });

  it('sends a high-priority message at once, with the messages queued before it', () => {
    const { fanout, join } = setup({ windowMs: 1000 });
    const a = join('r1');
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    fanout.enqueue(msg('r1', 2));
    fanout.enqueue(msg('r1', 3, { userId: 'system', priority: 'high' }));
    const frames = batches(a);
    expect(frames.map((f) => [f.fromSeq, f.toSeq])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(frames[1]?.messages[1]).toMatchObject({ seq: 3, priority: 'high' });
    expect(frames[1]?.messages[0]).not.toHaveProperty('priority');
  });

  it('flushAll sends every queued message now', () => {
    const { fanout, join } = setup({ windowMs: 1000 });
    const a = join('r1');
    const b = join('r2');
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    fanout.enqueue(msg('r1', 2));
    fanout.enqueue(msg('r2', 7));
    fanout.flushAll();
    expect(seqsOf(a)).toEqual([1, 2]);
    expect(seqsOf(b)).toEqual([7]);
  });
});

describe('RoomFanout: what a flush sends', () => {
  it('writes the same frame bytes to every v2 member, and one message frame per message to v1 members', () => {
    const { fanout, counters, join } = setup();
    const a = join('r1');
    const b = join('r1');
    const v1 = join('r1', 'old', 1);
    const other = join('r2');
    for (let s = 1; s <= 3; s++) fanout.enqueue(msg('r1', s));
    jest.advanceTimersByTime(0);
    expect(a.tcp.raw).toHaveLength(1);
    expect(b.tcp.raw[0]).toBe(a.tcp.raw[0]); // the same Buffer: encoded and framed once
    expect(batches(a)[0]).toEqual({
      type: 'messages',
      roomId: 'r1',
      fromSeq: 1,
      toSeq: 3,
      thinned: 0,
      messages: [1, 2, 3].map((s) => ({
        seq: s,
        id: `id${s}`,
        userId: 'author',
        clientMsgId: `c${s}`,
        text: `text ${s}`,
        masked: false,
        sentAt: 1000 + s,
        acceptedAt: 2000 + s,
      })),
    });
    const v1Frames = v1.tcp.frames();
    expect(v1Frames).toEqual(
      [1, 2, 3].map((s) => ({
        type: 'message',
        roomId: 'r1',
        seq: s,
        id: `id${s}`,
        userId: 'author',
        clientMsgId: `c${s}`,
        text: `text ${s}`,
        masked: false,
        sentAt: 1000 + s,
        acceptedAt: 2000 + s,
      })),
    );
    expect(other.tcp.raw).toHaveLength(0);
    expect(counters.frames.value).toBe(2 + 3);
    expect(counters.messages.value).toBe(9);
    expect(counters.flushes.value).toBe(1);
  });

  it('keeps seq order across flushes and drops seqs at or below the newest queued', () => {
    const { fanout, counters, join, registry } = setup({ windowMs: 20 });
    const a = join('r1');
    fanout.enqueue(msg('r1', 1));
    fanout.enqueue(msg('r1', 2));
    fanout.enqueue(msg('r1', 2)); // a redelivery
    jest.advanceTimersByTime(0);
    fanout.enqueue(msg('r1', 1)); // older than what was flushed
    fanout.enqueue(msg('r1', 3));
    jest.advanceTimersByTime(20);
    fanout.enqueue(msg('r1', 4));
    jest.advanceTimersByTime(20);
    expect(seqsOf(a)).toEqual([1, 2, 3, 4]);
    expect(counters.duplicates.value).toBe(2);
    expect(registry.rooms.get('r1')?.lastSeq).toBe(4);
  });

  it('splits a flush where seqs skip, so every frame covers a gapless range, and counts the gap', () => {
    const { fanout, counters, join } = setup();
    const a = join('r1');
    for (const s of [1, 2, 5, 6]) fanout.enqueue(msg('r1', s));
    jest.advanceTimersByTime(0);
    expect(batches(a).map((f) => [f.fromSeq, f.toSeq, f.messages.map((m) => m.seq)])).toEqual([
      [1, 2, [1, 2]],
      [5, 6, [5, 6]],
    ]);
    expect(counters.gaps.value).toBe(1);
  });

  it('observes latencies once per message and sizes once per flush, never per socket', () => {
    const { fanout, counters, join } = setup({ windowMs: 20 });
    join('r1');
    join('r1', 'v1-viewer', 1);
    join('r1');
    const now = Date.now();
    // Two runs (a gap between 2 and 5) in one flush: still one observation per message.
    for (const s of [1, 2, 5, 6]) fanout.enqueue(msg('r1', s, { sentAt: now - 120, acceptedAt: now - 30 }));
    fanout.enqueue(msg('r1', 7, { sentAt: now + 5_000, acceptedAt: now - 30 })); // the sender's clock is ahead
    jest.advanceTimersByTime(0);
    const { e2eLatency, deliveryLatency, fanoutSockets, flushMessages } = counters;
    expect(e2eLatency.count).toBe(5);
    expect(e2eLatency.sum).toBeCloseTo(4 * 0.12);
    expect(deliveryLatency.count).toBe(5);
    expect(deliveryLatency.sum).toBeCloseTo(5 * 0.03);
    expect([fanoutSockets.count, fanoutSockets.sum]).toEqual([1, 3]);
    expect([flushMessages.count, flushMessages.sum]).toEqual([1, 5]);

    // A room with no one here: nothing was delivered, nothing observed.
    fanout.enqueue(msg('r2', 1));
    fanout.enqueue(msg('r1', 8, { sentAt: now, acceptedAt: now }));
    jest.advanceTimersByTime(20);
    expect([e2eLatency.count, fanoutSockets.count, flushMessages.count]).toEqual([6, 2, 2]);
  });

  it('reports the last flushed seq, not the last queued one, as the room lastSeq (a joiner gets the queue)', () => {
    const { fanout, join, registry } = setup({ windowMs: 50 });
    join('r1');
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    fanout.enqueue(msg('r1', 2));
    expect(registry.rooms.get('r1')?.lastSeq).toBe(1);
    const late = join('r1');
    jest.advanceTimersByTime(50);
    expect(seqsOf(late)).toEqual([2]);
  });

  it('ignores messages for rooms without members here', () => {
    const { fanout } = setup();
    expect(fanout.enqueue(msg('nobody', 1))).toBe(0);
    jest.advanceTimersByTime(100);
  });
});

describe('RoomFanout: send budgets per frame', () => {
  it('closes a member above the hard budget with 4001 and keeps writing to the others', () => {
    const { fanout, budget, join } = setup();
    const slow = join('r1');
    const ok = join('r1');
    slow.ws.bufferedAmount = HARD + 1;
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    expect(slow.tcp.raw).toHaveLength(0);
    expect(slow.ws.closes).toEqual([CLOSE_CODES.SLOW_CONSUMER]);
    expect(budget.slowClosed.value).toBe(1);
    expect(seqsOf(ok)).toEqual([1]);
  });

  it('still sends chat above the soft budget (chat is not droppable)', () => {
    const { fanout, budget, join } = setup();
    const a = join('r1');
    a.ws.bufferedAmount = SOFT + 1;
    fanout.enqueue(msg('r1', 1));
    jest.advanceTimersByTime(0);
    expect(seqsOf(a)).toEqual([1]);
    expect(budget.dropped.value).toBe(0);
  });
});

describe('RoomFanout: thinning', () => {
  it('leaves ordinary chat above the room budget out for everyone alike, and says so in the frame', () => {
    const { fanout, counters, join } = setup({
      thinning: new ThinningPolicy(0, [{ room: 'hot', budgetPerSec: 3 }]),
    });
    const a = join('hot');
    const b = join('hot');
    const cold = join('cold');
    for (let s = 1; s <= 10; s++) fanout.enqueue(msg('hot', s, { userId: 'sender' }));
    for (let s = 1; s <= 10; s++) fanout.enqueue(msg('cold', s, { userId: 'sender' }));
    jest.advanceTimersByTime(0);
    const [fa] = batches(a);
    expect(fa).toMatchObject({ fromSeq: 1, toSeq: 10, thinned: 7 });
    expect(fa?.messages.map((m) => m.seq)).toEqual([1, 2, 3]); // the budget's burst: one second's worth
    expect(b.tcp.raw[0]).toBe(a.tcp.raw[0]);
    expect(batches(cold)[0]).toMatchObject({ fromSeq: 1, toSeq: 10, thinned: 0 });
    expect(counters.thinned.value).toBe(7);
  });

  it('refills the budget over time', () => {
    const { fanout, join } = setup({ windowMs: 0, thinning: new ThinningPolicy(2) });
    const a = join('r');
    for (let s = 1; s <= 4; s++) fanout.enqueue(msg('r', s));
    jest.advanceTimersByTime(0);
    jest.advanceTimersByTime(1000);
    for (let s = 5; s <= 8; s++) fanout.enqueue(msg('r', s));
    jest.advanceTimersByTime(0);
    expect(batches(a).map((f) => [f.fromSeq, f.toSeq, f.thinned, f.messages.map((m) => m.seq)])).toEqual([
      [1, 4, 2, [1, 2]],
      [5, 8, 2, [5, 6]],
    ]);
  });

  it('never thins high-priority messages', () => {
    const { fanout, join } = setup({ windowMs: 1000, thinning: new ThinningPolicy(1) });
    const a = join('r');
    fanout.enqueue(msg('r', 1));
    fanout.enqueue(msg('r', 2));
    fanout.enqueue(msg('r', 3, { userId: 'system', priority: 'high' }));
    expect(batches(a)).toEqual([expect.objectContaining({ fromSeq: 1, toSeq: 3, thinned: 1 })]);
    expect(seqsOf(a)).toEqual([1, 3]);
  });

  it('gives a sender their own thinned messages back, in seq order, in a frame of their own', () => {
    const { fanout, join } = setup({ thinning: new ThinningPolicy(1) });
    const viewer = join('r', 'viewer');
    const alice = join('r', 'alice');
    const aliceV1 = join('r', 'alice', 1);
    fanout.enqueue(msg('r', 1, { userId: 'bob' }));
    fanout.enqueue(msg('r', 2, { userId: 'alice' }));
    fanout.enqueue(msg('r', 3, { userId: 'bob' }));
    fanout.enqueue(msg('r', 4, { userId: 'alice' }));
    jest.advanceTimersByTime(0);
    expect(batches(viewer)[0]).toMatchObject({ fromSeq: 1, toSeq: 4, thinned: 3 });
    expect(seqsOf(viewer)).toEqual([1]);
    expect(batches(alice)[0]).toMatchObject({ fromSeq: 1, toSeq: 4, thinned: 1 });
    expect(seqsOf(alice)).toEqual([1, 2, 4]);
    expect(aliceV1.tcp.frames().map((f) => (f.type === 'message' ? f.seq : -1))).toEqual([1, 2, 4]);
  });
});

describe('the frames the fan-out writes, as roomcast-load reads them', () => {
  // roomcast-load counts deliveries straight from the bytes and falls back to a slower, loudly
  // counted path for any other shape: a change of the gateway's encoding must fail here first.
  it('scans every v2 batch frame and v1 message frame without falling back, thinned, high-priority and gift ones included', () => {
    const { fanout, join } = setup({ thinning: new ThinningPolicy(0, [{ room: 'thin', budgetPerSec: 2 }]) });
    const v2 = join('r');
    const v1 = join('r', 'old', 1);
    const thinned = join('thin');
    const texts = ['plain', 'quote " and \\ backslash', '"seq":99,"sentAt":1', '},{"seq":5}', '弹幕 🎉', ''];
    texts.forEach((text, i) => {
      // seq 5 is a gift (priority high, kind gift, data with its combo), as chat-ingest sends it on.
      const gift = i === 4 ? { kind: 'gift' as const, data: { giftId: 'rose', count: 2, combo: { id: 'm-4', count: 5 } } } : {};
      fanout.enqueue(msg('r', i + 1, { text, masked: i % 2 === 0, priority: i === 3 || i === 4 ? 'high' : undefined, ...gift }));
      fanout.enqueue(msg('thin', i + 1, { text }));
    });
    jest.advanceTimersByTime(0);

    const scanned = new ScannedBatch();
    const seen: number[] = [];
    const gifts: number[] = [];
    for (const raw of v2.tcp.raw) {
      expect(scanMessagesFrame(Buffer.from(unframe(raw)), scanned)).toBe(true);
      for (let i = 0; i < scanned.count; i++) seen.push(scanned.seqs[i] as number);
      for (let i = 0; i < scanned.count; i++) if (scanned.gifts[i] === 1) gifts.push(scanned.seqs[i] as number);
      expect(Array.from(scanned.sentAts.subarray(0, scanned.count))).toEqual(Array.from(scanned.seqs.subarray(0, scanned.count)).map((s) => 1000 + s));
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(gifts).toEqual([5]);

    const one: { seq: number; sentAt: number; gift?: boolean } = { seq: 0, sentAt: 0 };
    expect(v1.tcp.raw.map((raw) => (scanRoomcastMessage(Buffer.from(unframe(raw)), one) ? [one.seq, one.sentAt, one.gift] : null))).toEqual(
      [1, 2, 3, 4, 5, 6].map((s) => [s, 1000 + s, s === 5]),
    );

    expect(scanMessagesFrame(Buffer.from(unframe(thinned.tcp.raw[0] as Buffer)), scanned)).toBe(true);
    expect([scanned.fromSeq, scanned.toSeq, scanned.thinned, scanned.count]).toEqual([1, 6, 4, 2]);
  });
});
