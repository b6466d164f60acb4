import type { BusStats, MessageBus, OutgoingRecord, PartitionLag } from '@roomcast/bus';
import {
  GatewayDeliveryV1,
  HEADERS,
  resolveTopics,
  type ChatAcceptedV1,
  type ChatRejectedV1,
} from '@roomcast/contracts';
import { getTracer, SpanKind, traceIdOf, trace, withSpan, context as otelContext } from '@roomcast/telemetry';
import { installInMemoryTracing } from '@roomcast/telemetry/sdk';
import { publishDeliveries, publishEvent, publishEvents } from './publish';

/** A bus that records what it is asked to publish. */
class RecordingBus implements MessageBus {
  readonly calls: { topic: string; records: OutgoingRecord[] }[] = [];
  async publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    this.calls.push({ topic, records });
  }
  async ensureTopics(): Promise<void> {}
  async deleteTopics(): Promise<void> {}
  subscribe(): never {
    throw new Error('not used');
  }
  async consumerLag(): Promise<PartitionLag[]> {
    return [];
  }
  stats(): BusStats {
    return { published: 0, consumed: 0, retried: 0, deadLettered: 0 };
  }
  async healthy(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

let tracing: ReturnType<typeof installInMemoryTracing>;
beforeAll(() => {
  tracing = installInMemoryTracing();
});
afterAll(async () => {
  await tracing.shutdown();
});

const topics = resolveTopics('pfx.');

function accepted(roomId: string, seq: number): ChatAcceptedV1 {
  return {
    id: `m-${seq}`,
    roomId,
    seq,
    userId: 'user-1',
    clientMsgId: `c-${seq}`,
    text: `message ${seq}`,
    masked: false,
    sentAt: 1,
    acceptedAt: 2,
    priority: 'high',
  };
}

describe('publishEvents', () => {
  it('publishes to the prefixed catalog topic, keyed by the catalog key (roomId), in order, in one call', async () => {
    const bus = new RecordingBus();
    await publishEvents(bus, topics, 'chatAccepted', [
      { event: accepted('room-b', 1) },
      { event: accepted('room-a', 2) },
    ]);
    expect(bus.calls).toHaveLength(1);
    expect(bus.calls[0]!.topic).toBe('pfx.chat.message.accepted.v1');
    expect(bus.calls[0]!.records.map((r) => r.key)).toEqual(['room-b', 'room-a']);
    // The whole event goes out, optional fields (priority) included.
    expect(bus.calls[0]!.records.map((r) => JSON.parse(String(r.value)) as unknown)).toEqual([
      accepted('room-b', 1),
      accepted('room-a', 2),
    ]);
  });

  it('puts each event under the trace of its own context', async () => {
    const bus = new RecordingBus();
    const tracer = getTracer('test');
    const first = tracer.startSpan('first', { kind: SpanKind.CONSUMER });
    const second = tracer.startSpan('second', { kind: SpanKind.CONSUMER });
    await publishEvents(bus, topics, 'chatAccepted', [
      { event: accepted('room-a', 1), context: trace.setSpan(otelContext.active(), first) },
      { event: accepted('room-a', 2), context: trace.setSpan(otelContext.active(), second) },
    ]);
    first.end();
    second.end();
    const parents = bus.calls[0]!.records.map((r) => r.headers?.[HEADERS.traceparent]);
    expect(parents[0]).toContain(first.spanContext().spanId);
    expect(parents[1]).toContain(second.spanContext().spanId);
    expect(traceIdOf(parents[0])).toBe(first.spanContext().traceId);
    expect(traceIdOf(parents[1])).toBe(second.spanContext().traceId);
  });

  it('leaves the trace headers to the bus (the active context) when no context is given', async () => {
    const bus = new RecordingBus();
    await publishEvent(bus, topics, 'chatRejected', {
      id: 'm-1',
      roomId: 'room-r',
      userId: 'user-1',
      clientMsgId: 'c-1',
      reason: 'blocked',
      rejectedAt: 3,
    } satisfies ChatRejectedV1);
    expect(bus.calls).toEqual([
      {
        topic: 'pfx.chat.message.rejected.v1',
        records: [{ key: 'room-r', value: expect.any(String) as unknown }],
      },
    ]);
  });

  it('publishes nothing for no events (one empty call the bus ignores)', async () => {
    const bus = new RecordingBus();
    await withSpan(getTracer('test'), 'x', {}, () => publishEvents(bus, topics, 'chatIngested', []));
    expect(bus.calls.flatMap((c) => c.records)).toEqual([]);
  });
});

describe('publishDeliveries', () => {
  it('sends each delivery to every gateway it names, encoded once, keyed by room, one call per gateway', async () => {
    const bus = new RecordingBus();
    await publishDeliveries(bus, topics, [
      { event: { kind: 'room.message', message: accepted('room-a', 1) }, gatewayIds: ['gw1', 'gw2'] },
      { event: { kind: 'room.message', message: accepted('room-b', 1) }, gatewayIds: ['gw2'] },
      { event: { kind: 'room.message', message: accepted('room-c', 1) }, gatewayIds: [] },
      {
        event: {
          kind: 'user.rejected',
          rejected: {
            id: 'm-9',
            roomId: 'room-b',
            userId: 'u',
            clientMsgId: 'c',
            reason: 'blocked',
            rejectedAt: 1,
          },
        },
        gatewayIds: ['gw1'],
      },
    ]);
    const byTopic = new Map(bus.calls.map((c) => [c.topic, c.records]));
    expect([...byTopic.keys()].sort()).toEqual([topics.delivery('gw1'), topics.delivery('gw2')]);
    const gw1 = byTopic.get(topics.delivery('gw1'))!;
    const gw2 = byTopic.get(topics.delivery('gw2'))!;
    expect(gw1.map((r) => r.key)).toEqual(['room-a', 'room-b']);
    expect(gw2.map((r) => r.key)).toEqual(['room-a', 'room-b']);
    // The same bytes for both gateways of room-a.
    expect(gw1[0]!.value).toBe(gw2[0]!.value);
    expect(GatewayDeliveryV1.parse(JSON.parse(String(gw1[1]!.value)))).toMatchObject({
      kind: 'user.rejected',
    });
  });
});
