import { InMemoryMessageBus, type MessageBus, type Subscription } from '@roomcast/bus';
import { AppError } from '@roomcast/errors';
import { silentLogger } from '@roomcast/logger';
import { uniqueId, waitFor } from '@roomcast/testing';
import { ConsumerMetrics } from './consumer-metrics';
import { MetricsRegistry } from './metrics';

describe('ConsumerMetrics', () => {
  let bus: InMemoryMessageBus;
  let metrics: MetricsRegistry;
  let cm: ConsumerMetrics;
  let sub: Subscription | undefined;
  const topic = 'chat.message.ingested.v1';
  const series = (name: string, labels: string): number => metrics.snapshot()[`${name}{${labels}}`] ?? 0;

  beforeEach(() => {
    bus = new InMemoryMessageBus();
    metrics = new MetricsRegistry();
    cm = new ConsumerMetrics({ metrics, service: 'filter', logger: silentLogger(), lagSampleIntervalMs: 20 });
  });
  afterEach(async () => {
    await sub?.stop();
    sub = undefined;
    await bus.close();
  });

  async function subscribe(handler: (n: number) => Promise<void>, target: MessageBus = bus): Promise<string> {
    const groupId = uniqueId('group');
    sub = await cm.subscribe(target, {
      groupId,
      topics: [topic],
      fromBeginning: true,
      retryBaseMs: 5,
      handler: (records) => handler(records.length),
    });
    await sub.ready;
    return groupId;
  }

  it('measures each handled batch: records, handling time, and every record hop from its Kafka timestamp', async () => {
    let handled = 0;
    await subscribe(async (n) => {
      await new Promise((r) => setTimeout(r, 40));
      handled += n;
    });
    await bus.publish(
      topic,
      [1, 2, 3].map((i) => ({ key: 'room-1', value: `m${i}` })),
    );
    await waitFor(() => handled === 3 || undefined, 'three handled', 5_000);
    await waitFor(
      () =>
        series('roomcast_consumer_hop_latency_seconds_count', `service="filter",topic="${topic}"`) === 3 ||
        undefined,
      'three hops',
      5_000,
    );
    const labels = `service="filter",topic="${topic}"`;
    expect(series('roomcast_consumer_batch_records_count', labels)).toBe(1);
    expect(series('roomcast_consumer_batch_records_sum', labels)).toBe(3);
    expect(series('roomcast_consumer_batch_duration_seconds_sum', labels)).toBeGreaterThanOrEqual(0.035);
    // Each record waited for the 40 ms handler: its hop is at least that.
    expect(series('roomcast_consumer_hop_latency_seconds_sum', labels)).toBeGreaterThanOrEqual(3 * 0.035);
  });

  it('counts retries and dead letters by topic and error code', async () => {
    let calls = 0;
    await subscribe(async () => {
      calls += 1;
      if (calls === 1) throw new AppError('PRESENCE_UNAVAILABLE', 'redis down (test)');
      if (calls === 2) throw new AppError('BAD_EVENT', 'not a chat event (test)');
    });
    await bus.publish(topic, [{ key: 'room-1', value: 'x' }]);
    await waitFor(
      () => metrics.snapshot().roomcast_dlq_writes_total === 1 || undefined,
      'a dead letter',
      5_000,
    );
    expect(
      series(
        'roomcast_consumer_retries_total',
        `service="filter",topic="${topic}",code="PRESENCE_UNAVAILABLE"`,
      ),
    ).toBe(1);
    expect(series('roomcast_dlq_writes_total', `service="filter",topic="${topic}",code="BAD_EVENT"`)).toBe(1);
  });

  it('samples the group lag per partition while subscribed, and drops it when the subscription stops', async () => {
    const held: (() => void)[] = [];
    let holding = true;
    await subscribe(async () => {
      if (holding) await new Promise<void>((r) => held.push(r));
    });
    const lag = (): number | undefined => metrics.snapshot().roomcast_consumer_lag_records;
    await bus.publish(topic, [{ key: 'room-1', value: 'a' }]);
    await waitFor(() => held.length === 1 || undefined, 'the first batch held', 5_000);
    await bus.publish(topic, [{ key: 'room-1', value: 'b' }]);
    // Nothing committed yet: no lag to report (see PartitionLag).
    await waitFor(() => lag() === 0 || undefined, 'a lag read', 5_000);
    held.shift()?.();
    await waitFor(() => held.length === 1 || undefined, 'the second batch held', 5_000);
    await bus.publish(topic, [{ key: 'room-1', value: 'c' }]);
    await waitFor(() => lag() === 2 || undefined, 'lag 2 (b and c, a committed)', 5_000);
    const text = await metrics.render();
    expect(text).toMatch(
      new RegExp(
        `roomcast_consumer_lag_records\\{service="filter",topic="${topic.replace(/\./g, '\\.')}",partition="\\d"\\} 2`,
      ),
    );
    holding = false;
    held.shift()?.();
    await waitFor(() => lag() === 0 || undefined, 'lag back to 0', 5_000);
    await sub?.stop();
    sub = undefined;
    expect(await metrics.render()).not.toContain('roomcast_consumer_lag_records{');
  });

  it('drops the lag series and counts the failure when the broker cannot be asked', async () => {
    let failing = false;
    const flaky: MessageBus = {
      ensureTopics: (t) => bus.ensureTopics(t),
      deleteTopics: (n) => bus.deleteTopics(n),
      publish: (t, r) => bus.publish(t, r),
      subscribe: (o) => bus.subscribe(o),
      consumerLag: (g, t) =>
        failing
          ? Promise.reject(new AppError('BUS_UNAVAILABLE', 'kafka down (test)'))
          : bus.consumerLag(g, t),
      stats: () => bus.stats(),
      healthy: () => bus.healthy(),
      close: () => bus.close(),
    };
    const lagSeries = (): string[] =>
      Object.keys(metrics.snapshot()).filter((k) => k.startsWith('roomcast_consumer_lag_records{'));
    await subscribe(async () => {}, flaky);
    await waitFor(() => lagSeries().length > 0 || undefined, 'a lag read', 5_000);
    failing = true;
    await waitFor(
      () => metrics.snapshot()['roomcast_consumer_lag_sample_failures_total{service="filter"}'] || undefined,
      'a failed read',
      5_000,
    );
    expect(lagSeries()).toEqual([]);
  });
});
