import { jaegerTrace, T0_MS, TRACE_ID, wholePath } from '../test/jaeger-trace';
import { buildPath } from './path';

describe('buildPath', () => {
  it('orders the hops as the span tree, with start offsets, durations, queue times and fan-out', () => {
    // Jaeger returns spans in no particular order.
    const path = buildPath(jaegerTrace([...wholePath()].reverse()));
    expect(path).toMatchObject({
      traceId: TRACE_ID,
      startedAt: T0_MS,
      totalMs: 159,
      complete: true,
      missing: [],
      orphans: [],
    });
    expect(
      path.hops.map((h) => [h.depth, h.span, h.service, h.gatewayId, h.startMs, h.durationMs, h.queueMs]),
    ).toEqual([
      [0, 'gateway.chat.submit', 'gateway', 'gw-a', 0, 4, undefined],
      [1, 'chat-ingest.check', 'chat-ingest', undefined, 6, 3, 5],
      [2, 'filter.check', 'filter', undefined, 12, 5, 4],
      [3, 'notification.route', 'notification', undefined, 20, 4, 4],
      [4, 'gateway.deliver', 'gateway', 'gw-a', 27, 0.5, 4],
      [4, 'gateway.deliver', 'gateway', 'gw-b', 28, 0.4, 5],
      [3, 'persistence.store', 'persistence', undefined, 150, 9, 134],
    ]);
    expect(path.hops[1]).toMatchObject({ parentSpanId: 'a1', topic: 'chat.message.submitted.v1' });
    expect(path.hops[3]?.gateways).toBe(2);
    expect(path.fanout).toEqual([
      { gatewayId: 'gw-a', sockets: 2 },
      { gatewayId: 'gw-b', sockets: 1 },
    ]);
  });

  it('reports a hop whose trace context was lost: missing from the trace, its children orphaned', () => {
    // chat-ingest did not continue the record's traceparent: its span went to another trace.
    const broken = wholePath().filter((s) => s.name !== 'chat-ingest.check');
    const path = buildPath(jaegerTrace(broken));
    expect(path.complete).toBe(false);
    expect(path.missing).toEqual(['chat-ingest.check']);
    expect(path.orphans).toEqual(['filter.check']);
    expect(path.hops[0]?.span).toBe('gateway.chat.submit');
  });

  it('expects one delivery per gateway notification routed the message to', () => {
    const oneDeliveryLost = wholePath().filter((s) => s.id !== 'f2');
    expect(buildPath(jaegerTrace(oneDeliveryLost))).toMatchObject({
      complete: false,
      missing: ['gateway.deliver'],
    });
    const noViewers = wholePath()
      .filter((s) => s.name !== 'gateway.deliver')
      .map((s) =>
        s.name === 'notification.route' ? { ...s, tags: { ...s.tags, 'roomcast.gateways': 0 } } : s,
      );
    expect(buildPath(jaegerTrace(noViewers))).toMatchObject({ complete: true, fanout: [] });
  });

  it('names the debugging list that kept the trace', () => {
    const specs = wholePath().map((s) =>
      s.id === 'a1' ? { ...s, tags: { ...s.tags, 'roomcast.sampled_by': 'room' } } : s,
    );
    expect(buildPath(jaegerTrace(specs)).sampledBy).toBe('room');
  });
});
