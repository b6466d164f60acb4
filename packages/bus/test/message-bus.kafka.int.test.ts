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

describe('KafkaMessageBus with fetchMinBytes', () => {
  it('batches what arrives within the fetch wait, and still delivers less than fetchMinBytes', async () => {
    const bus = new KafkaMessageBus({
      brokers: kafkaBrokers,
      clientId: uniqueId('bus-minbytes'),
      logger: silentLogger(),
      consumer: TEST_CONSUMER,
    });
    const topic = `it.${uniqueId('minbytes')}.v1`;
    try {
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const batches: string[][] = [];
      await (
        await bus.subscribe({
          groupId: uniqueId('group'),
          topics: [topic],
          fromBeginning: true,
          // Far more than the test publishes: only the wait can end a fetch.
          fetchMinBytes: 1_000_000,
          fetchMaxWaitMs: 3_000,
          handler: async (b) => void batches.push(b.map((r) => r.value.toString())),
        })
      ).ready;
      // Ten publishes 20 ms apart: with fetchMinBytes 1 they would come in several batches.
      for (let i = 0; i < 10; i++) {
        await bus.publish(topic, [{ key: 'room-1', value: String(i) }]);
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => batches.flat().length >= 10, 'ten records', 30_000);
      expect(batches.flat()).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
      expect(batches.length).toBeLessThanOrEqual(2);
    } finally {
      await bus.deleteTopics([topic]);
      await bus.close();
    }
  }, 120_000);
});

describe('KafkaMessageBus.topicRecordCounts', () => {
  // The bus is at-least-once: a producer retry after a timeout can write a record twice, so the
  // expected count is what a consumer reads back from the topic, and every key must be among them.
  it('counts the records of every matching topic over all partitions, and none of the others', async () => {
    const bus = new KafkaMessageBus({
      brokers: kafkaBrokers,
      clientId: uniqueId('bus-count'),
      logger: silentLogger(),
      consumer: TEST_CONSUMER,
    });
    const prefix = `it.${uniqueId('count')}.`;
    const [a, b, other] = [`${prefix}a.v1.dlq`, `${prefix}b.v1.dlq`, `${prefix}a.v1`];
    try {
      await bus.ensureTopics([{ name: a, partitions: 3 }, { name: b }, { name: other }]);
      await bus.publish(
        a,
        ['r1', 'r2', 'r3', 'r4', 'r5'].map((key) => ({ key, value: key })),
      );
      await bus.publish(other, [{ key: 'k', value: 'v' }]);
      const counts = await bus.topicRecordCounts((t) => t.startsWith(prefix) && t.endsWith('.dlq'));
      const read: string[] = [];
      const sub = await bus.subscribe({
        groupId: uniqueId('count-group'),
        topics: [a],
        fromBeginning: true,
        handler: async (records) => void read.push(...records.map((r) => r.key?.toString() ?? '')),
      });
      await sub.ready;
      await waitFor(() => read.length >= (counts[a] ?? 0), 'every counted record read back', 30_000);
      await sub.stop();
      expect(new Set(read)).toEqual(new Set(['r1', 'r2', 'r3', 'r4', 'r5']));
      expect(counts).toEqual({ [a]: read.length, [b]: 0 });
    } finally {
      await bus.deleteTopics([a, b, other]);
      await bus.close();
    }
  }, 60_000);
});
