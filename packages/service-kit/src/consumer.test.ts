import { Writable } from 'node:stream';
import { headerValue, InMemoryMessageBus, type BusRecord } from '@roomcast/bus';
import {
  ChatSubmittedV1,
  dlqTopic,
  HEADERS,
  resolveTopics,
  type ChatIngestedV1,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { getTracer, injectTraceHeaders, SpanKind, traceIdOf, withSpan } from '@roomcast/telemetry';
import { installInMemoryTracing } from '@roomcast/telemetry/sdk';
import { uniqueId, waitFor } from '@roomcast/testing';
import { createLogger } from '@roomcast/logger';
import { decodeBatch, processRecord } from './consumer';
import { publishEvents } from './publish';

let tracing: ReturnType<typeof installInMemoryTracing>;
beforeAll(() => {
  tracing = installInMemoryTracing();
});
afterAll(async () => {
  await tracing.shutdown();
});
beforeEach(() => tracing.exporter.reset());

function submitted(roomId: string, n: number): ChatSubmittedV1 {
  return {
    roomId,
    userId: 'user-1',
    clientMsgId: `c-${n}`,
    text: `message ${n}`,
    sentAt: 1_700_000_000_000,
    gatewayId: 'gw-a',
    submittedAt: 1_700_000_000_001,
  };
}

function record(value: unknown, offset: number, headers: BusRecord['headers'] = {}): BusRecord {
  return {
    topic: 'chat.message.submitted.v1',
    partition: 0,
    offset: String(offset),
    key: 'room-1',
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers,
    timestamp: 0,
  };
}

/** A record published inside a producer span: its traceparent names that span. */
async function tracedRecord(
  event: ChatSubmittedV1,
  offset: number,
): Promise<{ record: BusRecord; traceId: string }> {
  return withSpan(getTracer('test'), 'producer', { kind: SpanKind.PRODUCER }, async (span) => ({
    record: record(event, offset, injectTraceHeaders()),
    traceId: span.spanContext().traceId,
  }));
}

describe('decodeBatch', () => {
  it('decodes each record once, in order, each in its own span continuing the record trace', async () => {
    const a = await tracedRecord(submitted('room-1', 1), 10);
    const b = await tracedRecord(submitted('room-1', 2), 11);
    let calls = 0;

    const result = await decodeBatch('test.check', ChatSubmittedV1, [a.record, b.record], async (batch) => {
      calls += 1;
      expect(batch.map((d) => d.event.clientMsgId)).toEqual(['c-1', 'c-2']);
      expect(batch.map((d) => d.record)).toEqual([a.record, b.record]);
      // What is published under a record's context carries that record's trace and names its span.
      for (const [i, d] of batch.entries()) {
        const traceparent = injectTraceHeaders(d.context)[HEADERS.traceparent];
        expect(traceIdOf(traceparent)).toBe([a, b][i]!.traceId);
        expect(traceparent).toContain(d.span.spanContext().spanId);
      }
      return 'done';
    });

    expect(result).toBe('done');
    expect(calls).toBe(1);
    const spans = tracing.exporter.getFinishedSpans().filter((s) => s.name === 'test.check');
    expect(spans.map((s) => s.spanContext().traceId)).toEqual([a.traceId, b.traceId]);
    expect(spans.map((s) => s.kind)).toEqual([SpanKind.CONSUMER, SpanKind.CONSUMER]);
    expect(spans.map((s) => s.attributes['messaging.kafka.offset'])).toEqual(['10', '11']);
  });

  it('throws BAD_EVENT for a record that does not fit, before the handler runs', async () => {
    const fn = jest.fn(async () => undefined);
    const bad = record({ ...submitted('room-1', 2), text: '' }, 11);

    const err = await decodeBatch(
      'test.check',
      ChatSubmittedV1,
      [record(submitted('room-1', 1), 10), bad],
      fn,
    ).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BAD_EVENT');
    expect(fn).not.toHaveBeenCalled();
    // Every span that was started is ended, marked failed.
    const spans = tracing.exporter.getFinishedSpans().filter((s) => s.name === 'test.check');
    expect(spans).toHaveLength(2);
    expect(spans.every((s) => s.status.code === 2)).toBe(true);
  });

  it('throws BAD_EVENT for a value that is not JSON', async () => {
    const err = await decodeBatch(
      'test.check',
      ChatSubmittedV1,
      [record('{not json', 1)],
      async () => undefined,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BAD_EVENT');
  });

  it('marks every span failed when the handler fails, and rethrows', async () => {
    const failure = new AppError('STORE_UNAVAILABLE', 'down (test)');
    await expect(
      decodeBatch('test.check', ChatSubmittedV1, [record(submitted('room-1', 1), 1)], async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    const [span] = tracing.exporter.getFinishedSpans().filter((s) => s.name === 'test.check');
    expect(span?.status.code).toBe(2);
    expect(span?.events.map((e) => e.name)).toContain('exception');
  });
});

describe('decodeBatch behind the bus runner', () => {
  let bus: InMemoryMessageBus;
  let topics: TopicNames;
  beforeEach(() => {
    bus = new InMemoryMessageBus();
    topics = resolveTopics(`${uniqueId('decode')}.`);
  });
  afterEach(() => bus.close());

  it('dead-letters a bad record with BAD_EVENT and passes the rest of its batch on, in order', async () => {
    const handled: string[][] = [];
    const forward = (records: BusRecord[]): Promise<void> =>
      decodeBatch('test.forward', ChatSubmittedV1, records, async (batch) => {
        handled.push(batch.map((d) => d.event.clientMsgId));
        const out = batch.map(({ event, context }) => ({
          event: { ...event, id: `id-${event.clientMsgId}`, ingestedAt: 1 } satisfies ChatIngestedV1,
          context,
        }));
        await publishEvents(bus, topics, 'chatIngested', out);
      });
    const downstream: BusRecord[] = [];
    const dead: BusRecord[] = [];
    for (const [topic, into] of [
      [topics.chatIngested, downstream],
      [dlqTopic(topics.chatSubmitted), dead],
    ] as const) {
      await bus.subscribe({
        groupId: uniqueId('reader'),
        topics: [topic],
        fromBeginning: true,
        handler: async (records) => {
          into.push(...records);
        },
      });
    }
    await bus.subscribe({
      groupId: uniqueId('forwarder'),
      topics: [topics.chatSubmitted],
      fromBeginning: true,
      handler: forward,
      maxRetries: 0,
    });

    // One key, one partition, one batch: good, bad, good.
    await bus.publish(topics.chatSubmitted, [
      { key: 'room-1', value: JSON.stringify(submitted('room-1', 1)) },
      { key: 'room-1', value: JSON.stringify({ ...submitted('room-1', 2), roomId: 'bad room id!' }) },
      { key: 'room-1', value: JSON.stringify(submitted('room-1', 3)) },
    ]);

    await waitFor(() => downstream.length === 2 && dead.length === 1, 'two forwarded, one dead-lettered');
    expect(downstream.map((r) => (JSON.parse(r.value.toString()) as ChatIngestedV1).clientMsgId)).toEqual([
      'c-1',
      'c-3',
    ]);
    expect(downstream.map((r) => r.key)).toEqual(['room-1', 'room-1']);
    expect(headerValue(dead[0]!.headers[HEADERS.errorCode])).toBe('BAD_EVENT');
    expect(headerValue(dead[0]!.headers[HEADERS.sourceOffset])).toBe('1');
    // The whole batch was tried once (and failed before publishing anything), then each good record alone.
    expect(handled).toEqual([['c-1'], ['c-3']]);
  });
});

describe('records that cannot be decoded', () => {
  // A value that is not JSON (V8's SyntaxError quotes the bytes around the bad token), and one
  // that is JSON but not the topic's schema; both carry words that must not reach the logs.
  const notJson = '{"roomId":"room-1","text":private words}';
  const notSchema = JSON.stringify({ ...submitted('room-1', 2), text: 42, note: 'private words' });

  for (const [name, handlerOf] of [
    [
      'decodeBatch',
      (into: string[]) => (records: BusRecord[]) =>
        decodeBatch('test.decode', ChatSubmittedV1, records, async (batch) => {
          into.push(...batch.map((d) => d.event.clientMsgId));
        }),
    ],
    [
      'processRecord',
      (into: string[]) => async (records: BusRecord[]) => {
        for (const r of records)
          await processRecord(
            'test.decode',
            ChatSubmittedV1,
            r,
            async (event) => void into.push(event.clientMsgId),
          );
      },
    ],
  ] as const) {
    it(`go to the DLQ with a warning naming topic, partition, offset and code, without the payload (${name})`, async () => {
      const chunks: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk.toString());
          done();
        },
      });
      const bus = new InMemoryMessageBus({ logger: createLogger({ name: 'decode-test', destination }) });
      const topics = resolveTopics(`${uniqueId('undecodable')}.`);
      try {
        const handled: string[] = [];
        const dead: BusRecord[] = [];
        await bus.subscribe({
          groupId: uniqueId('dlq-reader'),
          topics: [dlqTopic(topics.chatSubmitted)],
          fromBeginning: true,
          handler: async (records) => void dead.push(...records),
        });
        await bus.subscribe({
          groupId: uniqueId('decoder'),
          topics: [topics.chatSubmitted],
          fromBeginning: true,
          handler: handlerOf(handled),
        });

        // Published in a trace: the warning names it, so the log line leads to the trace.
        const traceId = await withSpan(getTracer('test'), 'produce', {}, async (span) => {
          await bus.publish(topics.chatSubmitted, [
            { key: 'room-1', value: notJson },
            { key: 'room-1', value: JSON.stringify(submitted('room-1', 1)) },
            { key: 'room-1', value: notSchema },
          ]);
          return span.spanContext().traceId;
        });

        await waitFor(() => handled.length === 1 && dead.length === 2, 'one handled, two dead-lettered');
        expect(handled).toEqual(['c-1']);
        expect(dead.map((r) => r.value.toString())).toEqual([notJson, notSchema]);
        expect(dead.map((r) => headerValue(r.headers[HEADERS.errorCode]))).toEqual([
          'BAD_EVENT',
          'BAD_EVENT',
        ]);
        const lines = chunks
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        const deadLettered = lines.filter((line) => line.msg === 'dead-lettering record');
        expect(deadLettered).toEqual(
          ['0', '2'].map((offset) =>
            expect.objectContaining({
              level: 40,
              topic: topics.chatSubmitted,
              partition: dead[0]?.partition,
              offset,
              code: 'BAD_EVENT',
              trace_id: traceId,
            }),
          ),
        );
        expect(chunks.join('')).not.toContain('private');
      } finally {
        await bus.close();
      }
    });
  }
});
