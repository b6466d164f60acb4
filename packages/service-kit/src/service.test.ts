import { InMemoryMessageBus, type Subscription } from '@roomcast/bus';
import { silentLogger } from '@roomcast/logger';
import { uniqueId } from '@roomcast/testing';
import { ConsumerMetrics } from './consumer-metrics';
import { MetricsRegistry } from './metrics';
import { consumerLifecycle } from './service';

/** An in-memory bus whose subscriptions can be made to report a crashed consumer. */
class CrashableBus extends InMemoryMessageBus {
  crashed = false;
  override async subscribe(options: Parameters<InMemoryMessageBus['subscribe']>[0]): Promise<Subscription> {
    const sub = await super.subscribe(options);
    return { ready: sub.ready, stop: () => sub.stop(), live: () => !this.crashed && sub.live() };
  }
}

describe('consumerLifecycle', () => {
  it('reports consuming only while the subscription is live: not before start, not while crashed, not after stop', async () => {
    const bus = new CrashableBus();
    const metrics = new ConsumerMetrics({ metrics: new MetricsRegistry(), service: 'persistence', logger: silentLogger() });
    const topic = 'chat.message.accepted.v1';
    const consumer = consumerLifecycle(bus, [{ name: topic, partitions: 1 }], { groupId: uniqueId('group'), topics: [topic], handler: async () => {} }, metrics);
    expect(consumer.consuming()).toBe(false);
    await consumer.start();
    expect(consumer.consuming()).toBe(true);
    // A consumer down after a crash (until kafkajs restarts it or ConsumerRevival brings it back)
    // is not consuming: /readyz must say so instead of reporting the subscription it still holds.
    bus.crashed = true;
    expect(consumer.consuming()).toBe(false);
    bus.crashed = false;
    expect(consumer.consuming()).toBe(true);
    await consumer.stop();
    expect(consumer.consuming()).toBe(false);
    await bus.close();
  });
});
