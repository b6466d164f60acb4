import { Writable } from 'node:stream';
import { headerValue, InMemoryMessageBus, type BusRecord, type MessageBus } from '@roomcast/bus';
import {
  ChatRejectedV1,
  type ModerationEventV1,
  ChatIngestedV1,
  HEADERS,
  dlqTopic,
  resolveTopics,
  type ChatSubmittedV1,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { createLogger, silentLogger, type Logger } from '@roomcast/logger';
import { InMemoryGiftLedger } from '@roomcast/live';
import { InMemoryModerationStore } from '@roomcast/moderation';
import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { InMemorySequencerBackend } from '@roomcast/sequencer';
import { getTracer, SpanKind, traceIdOf, withSpan } from '@roomcast/telemetry';
import { installInMemoryTracing } from '@roomcast/telemetry/sdk';
import { sleep, uniqueId, waitFor } from '@roomcast/testing';
import { createChatIngestApp, type ChatIngestApp } from './app';

const MAX_TEXT_CHARS = 10;
const DEDUP_TTL_MS = 60_000;
/** newMessageId(): 9 base-36 chars of time, 4 of counter, 8 hex. */
const SERVER_ID_PATTERN = /^[0-9a-z]{13}[0-9a-f]{8}$/;

let tracing: ReturnType<typeof installInMemoryTracing>;
beforeAll(() => {
  // Without a tracer provider no traceparent is written at all, so the trace test needs real ids.
  tracing = installInMemoryTracing();
});
afterAll(async () => {
  await tracing.shutdown();
});

interface Harness {
  bus: InMemoryMessageBus;
  backend: InMemorySequencerBackend;
  topics: TopicNames;
  app: ChatIngestApp;
  /** Every record on the ingested topic, read by an independent consumer group. */
  ingested: BusRecord[];
  /** Every record on `<submitted>.dlq`. */
  dead: BusRecord[];
  rejected: BusRecord[];
  moderationStore: InMemoryModerationStore;
  /** Where the gift ledger renders the leaderboards. */
  roomState: InMemoryRoomStateHub;
}

/** The gift catalog of these tests. */
const GIFT_VALUES = new Map([
  ['rose', 1],
  ['rocket', 100],
]);

let h: Harness;

async function start(
  options: { bus?: (inner: MessageBus, topics: TopicNames) => MessageBus; logger?: Logger; comboWindowMs?: number } = {},
): Promise<Harness> {
  const roomState = new InMemoryRoomStateHub();
  const bus = new InMemoryMessageBus();
  const backend = new InMemorySequencerBackend();
  const topics = resolveTopics(`${uniqueId('ingest')}.`);
  const moderationStore = new InMemoryModerationStore();
  const app = createChatIngestApp({
    bus: options.bus ? options.bus(bus, topics) : bus,
    deduper: backend.deduper,
    moderationStore,
    logger: options.logger ?? silentLogger(),
    topics,
    groupId: uniqueId('chat-ingest'),
    dedupTtlMs: DEDUP_TTL_MS,
    maxTextChars: MAX_TEXT_CHARS,
    giftLedger: new InMemoryGiftLedger(roomState, { comboWindowMs: options.comboWindowMs ?? 60_000 }),
    giftValues: GIFT_VALUES,
  });
  await app.start();
  const ingested = await collect(bus, topics.chatIngested);
  const dead = await collect(bus, dlqTopic(topics.chatSubmitted));
  const rejected = await collect(bus, topics.chatRejected);
  return { bus, backend, topics, app, ingested, dead, rejected, moderationStore, roomState };
}

async function collect(bus: MessageBus, topic: string): Promise<BusRecord[]> {
  const records: BusRecord[] = [];
  const sub = await bus.subscribe({
    groupId: uniqueId('collector'),
    topics: [topic],
    fromBeginning: true,
    handler: async (batch) => {
      records.push(...batch);
    },
  });
  await sub.ready;
  return records;
}

afterEach(async () => {
  await h.app.stop();
  await h.bus.close();
});

let clientMsgNo = 0;
function submission(overrides: Partial<ChatSubmittedV1> = {}): ChatSubmittedV1 {
  clientMsgNo += 1;
  return {
    roomId: 'room-1',
    userId: 'user-1',
    clientMsgId: `c-${clientMsgNo}`,
    text: 'hello',
    sentAt: 1_700_000_000_000,
    gatewayId: 'gw-a',
    submittedAt: 1_700_000_000_001,
    ...overrides,
  };
}

async function submit(...events: (ChatSubmittedV1 | string)[]): Promise<void> {
  await h.bus.publish(
    h.topics.chatSubmitted,
    events.map((e) =>
      typeof e === 'string' ? { key: 'room-1', value: e } : { key: e.roomId, value: JSON.stringify(e) },
    ),
  );
}

function parsed(records: BusRecord[]): ChatIngestedV1[] {
  return records.map((r) => ChatIngestedV1.parse(JSON.parse(r.value.toString())));
}

function counter(name: string): number {
  return h.app.metrics.snapshot()[name] ?? NaN;
}

/**
 * Waits until `sentinel` (submitted after everything under test, in the same room, so on the
 * same partition and therefore handled after it) is on the ingested topic: from then on,
 * whatever the earlier records were going to publish has been published.
 */
async function submitSentinel(): Promise<ChatSubmittedV1> {
  const sentinel = submission({ text: 'sentinel' });
  await submit(sentinel);
  await waitFor(
    () => parsed(h.ingested).some((m) => m.clientMsgId === sentinel.clientMsgId),
    'the sentinel on the ingested topic',
  );
  return sentinel;
}

describe('createChatIngestApp', () => {
  it('turns a submission into an ingested record with a server id, keyed by room, continuing the trace', async () => {
    h = await start();
    const event = submission({ roomId: 'room-7', text: 'hi there' });
    let producerTraceId = '';
    let producerSpanId = '';
    const before = Date.now();
    // The gateway publishes inside its own span; the bus writes that span's traceparent.
    await withSpan(getTracer('test-gateway'), 'gateway.chat', { kind: SpanKind.PRODUCER }, async (span) => {
      producerTraceId = span.spanContext().traceId;
      producerSpanId = span.spanContext().spanId;
      await submit(event);
    });

    const [record] = await waitFor(
      () => (h.ingested.length > 0 ? h.ingested : undefined),
      'the ingested record',
    );
    expect(h.ingested).toHaveLength(1);
    expect(record!.key).toBe('room-7');
    const [out] = parsed(h.ingested);
    expect(out).toEqual({
      ...event,
      id: expect.stringMatching(SERVER_ID_PATTERN),
      ingestedAt: expect.any(Number),
    });
    expect(out!.ingestedAt).toBeGreaterThanOrEqual(before);

    const traceparent = headerValue(record!.headers[HEADERS.traceparent]);
    expect(traceIdOf(traceparent)).toBe(producerTraceId);
    // Continued, not copied: the parent is chat-ingest's own span, a child of the producer's.
    expect(traceparent).not.toContain(producerSpanId);
    const publishSpan = tracing.exporter
      .getFinishedSpans()
      .find((s) => s.name === 'chat-ingest.check' && s.spanContext().traceId === producerTraceId);
    expect(publishSpan).toBeDefined();
    expect(traceparent).toContain(publishSpan!.spanContext().spanId);
    expect(counter('roomcast_ingest_ingested_total')).toBe(1);
  });

  it('drops a resubmission of the same (userId, clientMsgId) carried by a different record', async () => {
    h = await start();
    const first = submission({ text: 'first' });
    const resend = { ...first, text: 'resent', submittedAt: first.submittedAt + 500 };
    await submit(first);
    await submit(resend);
    // The same clientMsgId from another user is a different message.
    const otherUser = { ...first, userId: 'user-2' };
    await submit(otherUser);
    await submitSentinel();

    const out = parsed(h.ingested);
    expect(out.map((m) => [m.userId, m.text])).toEqual([
      ['user-1', 'first'],
      ['user-2', 'first'],
      ['user-1', 'sentinel'],
    ]);
    expect(new Set(out.map((m) => m.id)).size).toBe(3);
    expect(counter('roomcast_ingest_duplicates_total')).toBe(1);
    expect(counter('roomcast_ingest_ingested_total')).toBe(3);
  });

  it('drops a resend that arrives in the same batch as the original', async () => {
    h = await start();
    const first = submission({ text: 'first' });
    await submit(first, { ...first, text: 'resent' });
    await submitSentinel();

    expect(parsed(h.ingested).map((m) => m.text)).toEqual(['first', 'sentinel']);
    expect(counter('roomcast_ingest_duplicates_total')).toBe(1);
  });

  it('publishes a replayed record again with the id it claimed the first time', async () => {
    // A replay is the SAME record (topic/partition/offset) handled again after its claim was
    // written but before its offset was committed — in production a crash or rebalance between
    // deduper.claim and the commit. The faithful way to get there with the real runner: the
    // first publish to the ingested topic fails with a retriable PUBLISH_FAILED after the claim,
    // so the bus redelivers the very same record (same source) to the handler.
    let failuresLeft = 1;
    h = await start({
      bus: (inner, topics) => ({
        ensureTopics: (t) => inner.ensureTopics(t),
        deleteTopics: (n) => inner.deleteTopics(n),
        subscribe: (o) => inner.subscribe(o),
        consumerLag: (g, t) => inner.consumerLag(g, t),
        stats: () => inner.stats(),
        healthy: () => inner.healthy(),
        close: () => inner.close(),
        publish: async (topic, records) => {
          if (topic === topics.chatIngested && failuresLeft > 0) {
            failuresLeft -= 1;
            throw new AppError('PUBLISH_FAILED', 'broker unavailable (test)');
          }
          await inner.publish(topic, records);
        },
      }),
    });
    const event = submission();
    await submit(event);
    await waitFor(() => h.ingested.length > 0, 'the replayed record on the ingested topic');
    expect(failuresLeft).toBe(0);
    expect(h.bus.stats().retried).toBe(1);
    await submitSentinel();

    const out = parsed(h.ingested);
    expect(out.map((m) => m.clientMsgId)).toEqual([event.clientMsgId, expect.any(String)]);
    expect(counter('roomcast_ingest_duplicates_total')).toBe(0);
    expect(h.dead).toHaveLength(0);
    // The published id is the one the deduper holds, i.e. the id claimed on the first attempt,
    // so a later genuine resend is dropped against the message that was actually delivered.
    const [probe] = await h.backend.claim(
      [
        {
          userId: event.userId,
          clientMsgId: event.clientMsgId,
          candidateId: 'probe',
          source: 'elsewhere/0/0',
        },
      ],
      DEDUP_TTL_MS,
    );
    expect(probe).toEqual({ status: 'duplicate', id: out[0]!.id });
  });

  it('dead-letters records that fail the schema with BAD_EVENT and keeps processing', async () => {
    h = await start();
    const good1 = submission({ text: 'one' });
    const { text: _dropped, ...noText } = submission();
    const good2 = submission({ text: 'two' });
    // One batch: the bad records must not take the good ones with them.
    await submit('not json {', good1, JSON.stringify(noText), good2);
    const good3 = submission({ text: 'three' });
    await submit(good3);

    await waitFor(
      () => h.dead.length === 2 && h.ingested.length === 3,
      'two dead letters and three ingested',
    );
    expect(parsed(h.ingested).map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(h.dead.map((r) => r.value.toString())).toEqual(['not json {', JSON.stringify(noText)]);
    for (const letter of h.dead) {
      expect(headerValue(letter.headers[HEADERS.errorCode])).toBe('BAD_EVENT');
      expect(headerValue(letter.headers[HEADERS.sourceTopic])).toBe(h.topics.chatSubmitted);
      expect(letter.key).toBe('room-1');
    }
    expect(h.bus.stats().deadLettered).toBe(2);
  });

  it('refuses text over the limit and blank text: not ingested, and each sender told with a rejection', async () => {
    h = await start();
    const tooLong = submission({ text: 'x'.repeat(MAX_TEXT_CHARS + 1) });
    const blank = submission({ text: '   ' });
    const atLimit = submission({ text: 'y'.repeat(MAX_TEXT_CHARS) });
    await submit(tooLong, blank, atLimit);
    await submitSentinel();

    expect(parsed(h.ingested).map((m) => m.clientMsgId)).toEqual([atLimit.clientMsgId, expect.any(String)]);
    expect(counter('roomcast_ingest_refused_total')).toBe(2);
    expect(counter('roomcast_ingest_ingested_total')).toBe(2);
    // Refused is not dead-lettered: the record was valid, the message was not acceptable.
    expect(h.dead).toHaveLength(0);
    // The gateway acked both: their senders hear why they went no further.
    await waitFor(() => h.rejected.length === 2, 'two rejections');
    const rejections = h.rejected.map((r) => ChatRejectedV1.parse(JSON.parse(r.value.toString())));
    expect(rejections.map((r) => [r.clientMsgId, r.userId, r.roomId, r.reason])).toEqual([
      [tooLong.clientMsgId, tooLong.userId, tooLong.roomId, 'text-too-long'],
      [blank.clientMsgId, blank.userId, blank.roomId, 'empty-text'],
    ]);
    expect(h.rejected.map((r) => r.key)).toEqual([tooLong.roomId, blank.roomId]);
  });

  it('refuses chats of a sender muted or banned in the room (in Redis, or by an action seen on the topic), with the reason', async () => {
    h = await start();
    // muted before the instance saw the room: read from the store
    await h.moderationStore.apply('room-1', { kind: 'mute', userId: 'muted', durationMs: 60_000 }, Date.now() + 60_000);
    const fromMuted = submission({ userId: 'muted' });
    const fine = submission({ userId: 'fine' });
    await submit(fromMuted, fine);
    await submitSentinel();
    // banned afterwards, only on the topic (not in the store): the cached room learns it from there
    const ban: ModerationEventV1 = { id: 'e1', roomId: 'room-1', actorId: 'm', actorRole: 'moderator', at: Date.now(), action: { kind: 'ban', userId: 'fine' } };
    await h.bus.publish(h.topics.moderation, [{ key: 'room-1', value: JSON.stringify(ban) }]);
    const reasons = (): string[][] =>
      h.rejected.map((r) => ChatRejectedV1.parse(JSON.parse(r.value.toString()))).map((r) => [r.clientMsgId, r.reason]);
    await waitFor(async () => {
      await submit(submission({ userId: 'fine' }));
      await sleep(20);
      return reasons().some(([, reason]) => reason === 'banned');
    }, 'a chat of the banned user refused');
    expect(parsed(h.ingested).map((m) => m.clientMsgId)).toContain(fine.clientMsgId);
    expect(parsed(h.ingested).map((m) => m.clientMsgId)).not.toContain(fromMuted.clientMsgId);
    expect(reasons()).toContainEqual([fromMuted.clientMsgId, 'muted']);
    expect(reasons().every(([, reason]) => reason === 'muted' || reason === 'banned')).toBe(true);
  });

  it("logs a refusal with the message's trace_id, though a batch handler runs outside its span", async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...chunk
            .toString()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        );
        done();
      },
    });
    h = await start({ logger: createLogger({ name: 'chat-ingest', destination }) });
    const blank = submission({ text: '   ' });
    const traceId = await withSpan(
      getTracer('gateway'),
      'gateway.chat.submit',
      { kind: SpanKind.PRODUCER },
      async (span) => {
        await submit(blank);
        return span.spanContext().traceId;
      },
    );
    await waitFor(() => lines.some((l) => l.msg === 'submission refused'), 'the refusal logged');
    expect(lines.find((l) => l.msg === 'submission refused')).toMatchObject({
      clientMsgId: blank.clientMsgId,
      problem: 'empty-text',
      trace_id: traceId,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it('is ready only while consuming', async () => {
    h = await start();
    expect(await h.app.readiness.consuming!()).toBe(true);
    expect(await h.app.readiness.bus!()).toBe(true);
    await h.app.stop();
    expect(await h.app.readiness.consuming!()).toBe(false);
  });
});

describe('createChatIngestApp: gifts', () => {
  // Short texts: these tests cap text at MAX_TEXT_CHARS.
  function giftOf(giftId: string, count: number, overrides: Partial<ChatSubmittedV1> = {}): ChatSubmittedV1 {
    return submission({ text: `${count}×${giftId}`, kind: 'gift', data: { giftId, count }, priority: 'high', ...overrides });
  }
  const byClientMsgId = (id: string): ChatIngestedV1 => {
    const m = parsed(h.ingested).find((x) => x.clientMsgId === id);
    if (m === undefined) throw new Error(`${id} not ingested`);
    return m;
  };

  it('gives each gift its running combo and renders the room leaderboard by value', async () => {
    h = await start();
    const a = giftOf('rose', 2);
    const b = giftOf('rose', 3);
    const other = giftOf('rocket', 1, { userId: 'user-2' });
    const heart = giftOf('heart', 4);
    await submit(a);
    await submit(b, other, heart);
    await submitSentinel();

    const first = byClientMsgId(a.clientMsgId);
    expect(first.data).toEqual({ giftId: 'rose', count: 2, combo: { id: first.id, count: 2 } });
    expect(first.priority).toBe('high');
    expect(byClientMsgId(b.clientMsgId).data).toEqual({ giftId: 'rose', count: 3, combo: { id: first.id, count: 5 } });
    const o = byClientMsgId(other.clientMsgId);
    expect(o.data).toEqual({ giftId: 'rocket', count: 1, combo: { id: o.id, count: 1 } });
    // Another gift from the same sender is another combo.
    const hz = byClientMsgId(heart.clientMsgId);
    expect(hz.data).toEqual({ giftId: 'heart', count: 4, combo: { id: hz.id, count: 4 } });
    // Chat carries no gift data.
    expect(parsed(h.ingested).find((m) => m.text === 'sentinel')?.data).toBeUndefined();
    // rose 1 each, rocket 100, heart not in the catalog: 1 each.
    expect(h.roomState.get('room-1', 'leaderboard')).toEqual({
      top: [
        { userId: 'user-2', total: 100 },
        { userId: 'user-1', total: 9 },
      ],
    });
    expect(counter('roomcast_ingest_gifts_total')).toBe(4);
  });

  it('starts a new combo once the window passed since the previous gift', async () => {
    const windowMs = 300;
    h = await start({ comboWindowMs: windowMs });
    const a = giftOf('rose', 1);
    const b = giftOf('rose', 1);
    const c = giftOf('rose', 1);
    await submit(a);
    await submit(b);
    await waitFor(() => parsed(h.ingested).length === 2, 'the first two gifts');
    // The window is a span of time: nothing to wait for but the clock.
    await sleep(windowMs + 100);
    await submit(c);
    await submitSentinel();
    const first = byClientMsgId(a.clientMsgId);
    expect(byClientMsgId(b.clientMsgId).data).toMatchObject({ combo: { id: first.id, count: 2 } });
    const third = byClientMsgId(c.clientMsgId);
    expect(third.data).toMatchObject({ combo: { id: third.id, count: 1 } });
    expect(h.roomState.get('room-1', 'leaderboard')).toEqual({ top: [{ userId: 'user-1', total: 3 }] });
  });

  it('counts a replayed gift once, and a resent one not at all', async () => {
    // As in the replay test above: the first publish to the ingested topic fails after the claim
    // and the ledger's record, so the same record comes back with the id claimed the first time.
    let failuresLeft = 1;
    h = await start({
      bus: (inner, topics) => ({
        ensureTopics: (t) => inner.ensureTopics(t),
        deleteTopics: (n) => inner.deleteTopics(n),
        subscribe: (o) => inner.subscribe(o),
        consumerLag: (g, t) => inner.consumerLag(g, t),
        stats: () => inner.stats(),
        healthy: () => inner.healthy(),
        close: () => inner.close(),
        publish: async (topic, records) => {
          if (topic === topics.chatIngested && failuresLeft > 0) {
            failuresLeft -= 1;
            throw new AppError('PUBLISH_FAILED', 'broker unavailable (test)');
          }
          await inner.publish(topic, records);
        },
      }),
    });
    const a = giftOf('rocket', 2);
    await submit(a);
    await waitFor(() => h.ingested.length > 0, 'the replayed gift on the ingested topic');
    expect(failuresLeft).toBe(0);
    expect(h.bus.stats().retried).toBe(1);
    // A resend of the same gift (another record, same clientMsgId) is a duplicate: not counted.
    await submit({ ...a, submittedAt: a.submittedAt + 1 });
    await submitSentinel();

    const gifts = parsed(h.ingested).filter((m) => m.kind === 'gift');
    expect(gifts).toHaveLength(1);
    expect(gifts[0]!.data).toEqual({ giftId: 'rocket', count: 2, combo: { id: gifts[0]!.id, count: 2 } });
    expect(h.roomState.get('room-1', 'leaderboard')).toEqual({ top: [{ userId: 'user-1', total: 200 }] });
    // Recorded twice (the first attempt and the replay), counted once.
    expect(counter('roomcast_ingest_gifts_total')).toBe(2);
    expect(counter('roomcast_ingest_duplicates_total')).toBe(1);
  });
});
