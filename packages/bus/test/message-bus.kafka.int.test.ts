import { createLogger, silentLogger } from '@roomcast/logger';
import { infraEnv, uniqueId, waitFor } from '@roomcast/testing';
import { KafkaMessageBus } from '../src/index';
import { describeMessageBusContract } from '../src/message-bus.contract';

const { kafkaBrokers } = infraEnv();

/** Fast-rebalancing consumers: the test broker has group.initial.rebalance.delay.ms=0. */
const TEST_CONSUMER = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 50 };

describeMessageBusContract('KafkaMessageBus', async () => {
  const bus = new KafkaMessageBus({
    brokers: kafkaBrokers,
    clientId: uniqueId('bus-int'),
    logger: process.env.BUS_TEST_LOG ? createLogger({ name: 'bus-int', level: 'warn' }) : silentLogger(),
    consumer: TEST_CONSUMER,
  });
  return { bus, topicPrefix: 'it.', cleanup: () => bus.close() };
});

describe('KafkaMessageBus against an unreachable broker', () => {
  it('reports unhealthy within the health timeout and fails publish with PUBLISH_FAILED', async () => {
    const bus = new KafkaMessageBus({
      brokers: ['127.0.0.1:1'],
      clientId: uniqueId('bus-down'),
      logger: silentLogger(),
    });
    const started = Date.now();
    await expect(bus.healthy()).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(bus.publish('it.never.v1', [{ key: 'k', value: 'v' }])).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
      retriable: true,
    });
    await bus.close();
  }, 120_000);
});

describe('KafkaMessageBus with lingerMs', () => {
  it('coalesces publishes within the linger window and keeps their order', async () => {
    const bus = new KafkaMessageBus({
      brokers: kafkaBrokers,
      clientId: uniqueId('bus-linger'),
      logger: silentLogger(),
      lingerMs: 20,
      consumer: TEST_CONSUMER,
    });
    const topic = `it.${uniqueId('linger')}.v1`;
    try {
      await bus.ensureTopics([{ name: topic, partitions: 2 }]);
      const seen: string[] = [];
      await (
        await bus.subscribe({
          groupId: uniqueId('group'),
          topics: [topic],
          fromBeginning: true,
          handler: async (b) => void seen.push(...b.map((r) => r.value.toString())),
        })
      ).ready;
      const calls = Array.from({ length: 200 }, (_, i) =>
        bus.publish(topic, [{ key: 'room-1', value: String(i) }]),
      );
      await Promise.all(calls);
      await waitFor(() => seen.length >= 200, '200 records', 30_000);
      expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
      expect(bus.stats().published).toBe(200);
    } finally {
      await bus.deleteTopics([topic]);
      await bus.close();
    }
  }, 120_000);
});
