import type { JaegerSpan, JaegerTrace } from '../src/jaeger';

/** A span of a test trace: times in ms after the trace's start. */
export interface SpanSpec {
  id: string;
  name: string;
  service: string;
  parent?: string;
  startMs: number;
  durationMs: number;
  tags?: Record<string, string | number>;
}

export const T0_MS = 1_764_000_000_000;
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A trace as Jaeger's `GET /api/traces/<id>` returns it (the `data[0]` element). */
export function jaegerTrace(specs: SpanSpec[], traceId = TRACE_ID): JaegerTrace {
  const services = [...new Set(specs.map((s) => s.service))];
  const processes = Object.fromEntries(
    services.map((name, i) => [`p${i + 1}`, { serviceName: name, tags: [] }]),
  );
  const spans: JaegerSpan[] = specs.map((s) => ({
    traceID: traceId,
    spanID: s.id,
    operationName: s.name,
    references: s.parent ? [{ refType: 'CHILD_OF', traceID: traceId, spanID: s.parent }] : [],
    startTime: (T0_MS + s.startMs) * 1000,
    duration: s.durationMs * 1000,
    tags: Object.entries(s.tags ?? {}).map(([key, value]) => ({
      key,
      type: typeof value === 'number' ? 'int64' : 'string',
      value,
    })),
    processID: `p${services.indexOf(s.service) + 1}`,
  }));
  return { traceID: traceId, spans, processes };
}

/** One message's whole path: two gateways delivering, each hop's record produced 1 ms before its parent ended. */
export function wholePath(): SpanSpec[] {
  const kafka = (topic: string, producedAtMs: number) => ({
    'messaging.destination.name': topic,
    'roomcast.kafka.timestamp_ms': T0_MS + producedAtMs,
  });
  return [
    {
      id: 'a1',
      name: 'gateway.chat.submit',
      service: 'gateway',
      startMs: 0,
      durationMs: 4,
      tags: { 'roomcast.gateway_id': 'gw-a', 'roomcast.room_id': 'live-1' },
    },
    {
      id: 'b1',
      name: 'chat-ingest.check',
      service: 'chat-ingest',
      parent: 'a1',
      startMs: 6,
      durationMs: 3,
      tags: kafka('chat.message.submitted.v1', 1),
    },
    {
      id: 'c1',
      name: 'filter.check',
      service: 'filter',
      parent: 'b1',
      startMs: 12,
      durationMs: 5,
      tags: kafka('chat.message.ingested.v1', 8),
    },
    {
      id: 'd1',
      name: 'notification.route',
      service: 'notification',
      parent: 'c1',
      startMs: 20,
      durationMs: 4,
      tags: { ...kafka('chat.message.accepted.v1', 16), 'roomcast.gateways': 2 },
    },
    {
      id: 'e1',
      name: 'persistence.store',
      service: 'persistence',
      parent: 'c1',
      startMs: 150,
      durationMs: 9,
      tags: kafka('chat.message.accepted.v1', 16),
    },
    {
      id: 'f1',
      name: 'gateway.deliver',
      service: 'gateway',
      parent: 'd1',
      startMs: 27,
      durationMs: 0.5,
      tags: { ...kafka('delivery.gateway.gw-a.v1', 23), 'roomcast.gateway_id': 'gw-a', 'roomcast.fanout': 2 },
    },
    {
      id: 'f2',
      name: 'gateway.deliver',
      service: 'gateway',
      parent: 'd1',
      startMs: 28,
      durationMs: 0.4,
      tags: { ...kafka('delivery.gateway.gw-b.v1', 23), 'roomcast.gateway_id': 'gw-b', 'roomcast.fanout': 1 },
    },
  ];
}
