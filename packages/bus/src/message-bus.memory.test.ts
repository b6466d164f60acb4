import { AppError } from '@roomcast/errors';
import { waitFor } from '@roomcast/testing';
import type { BusRecord } from './message-bus';
import { describeMessageBusContract } from './message-bus.contract';
import { InMemoryMessageBus } from './message-bus.memory';
import { murmur2, partitionForKey } from './partitioner';

describeMessageBusContract('InMemoryMessageBus', async () => {
  const bus = new InMemoryMessageBus();
  return { bus, topicPrefix: '', cleanup: () => bus.close() };
});

describe('partitionForKey', () => {
  it("matches Kafka's murmur2 default partitioner (values from kafkajs 2.2.4 / the Java client)", () => {
    expect(murmur2('room-1')).toBe(-1749785);
    expect(murmur2('room-2')).toBe(-1316406848);
    expect(murmur2('héllo')).toBe(614509002);
    expect(murmur2('')).toBe(275646681);
    expect(partitionForKey('room-1', 4)).toBe(3);
    expect(partitionForKey('room-3', 12)).toBe(7);
    expect(partitionForKey('room-42', 4)).toBe(2);
  });
});

describe('InMemoryMessageBus', () => {
  it('never calls a handler inside publish', async () => {
    const bus = new InMemoryMessageBus();
    let inside = false;
    let calledInside = false;
    const seen: BusRecord[] = [];
    const sub = await bus.subscribe({
      groupId: 'g',
      topics: ['t.v1'],
      handler: async (batch) => {
        calledInside ||= inside;
        seen.push(...batch);
      },
    });
    inside = true;
    const published = bus.publish('t.v1', [{ key: 'k', value: 'v' }]);
    inside = false;
    await published;
    await waitFor(() => seen.length === 1, 'delivery');
    expect(calledInside).toBe(false);
    await sub.stop();
    await bus.close();
  });

  it('hands a burst over in batches, one in flight per partition', async () => {
    const bus = new InMemoryMessageBus({ maxBatchRecords: 100, defaultPartitions: 1 });
    const sizes: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await bus.subscribe({
      groupId: 'g',
      topics: ['t.v1'],
      handler: async (batch) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        sizes.push(batch.length);
        inFlight -= 1;
      },
    });
    for (let i = 0; i < 1000; i++) void bus.publish('t.v1', [{ key: `k${i}`, value: String(i) }]);
    await waitFor(() => sizes.reduce((a, b) => a + b, 0) === 1000, 'all records');
    expect(sizes.length).toBe(10);
    expect(maxInFlight).toBe(1);
    await bus.close();
  });

  it('moves partitions to the remaining member when one stops', async () => {
    const bus = new InMemoryMessageBus();
    const a: BusRecord[] = [];
    const b: BusRecord[] = [];
    const subA = await bus.subscribe({
      groupId: 'g',
      topics: ['t.v1'],
      fromBeginning: true,
      handler: async (r) => void a.push(...r),
    });
    await bus.subscribe({
      groupId: 'g',
      topics: ['t.v1'],
      fromBeginning: true,
      handler: async (r) => void b.push(...r),
    });
    await subA.stop();
    await bus.publish(
      't.v1',
      ['room-0', 'room-1', 'room-2', 'room-3', 'room-4'].map((key) => ({ key, value: key })),
    );
    await waitFor(() => b.length === 5, 'all records on b');
    expect(a).toHaveLength(0);
    await bus.close();
  });

  it('drops records beyond retention and restarts a lagging group at the oldest kept', async () => {
    const bus = new InMemoryMessageBus({ retentionRecords: 4, defaultPartitions: 1 });
    await bus.publish(
      't.v1',
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    const seen: string[] = [];
    await bus.subscribe({
      groupId: 'g',
      topics: ['t.v1'],
      fromBeginning: true,
      handler: async (r) => void seen.push(...r.map((x) => x.value.toString())),
    });
    await waitFor(() => seen.length >= 4, 'retained records');
    expect(seen).toEqual(['6', '7', '8', '9']);
    await bus.close();
  });

  it('rejects publish after close', async () => {
    const bus = new InMemoryMessageBus();
    await bus.close();
    await expect(bus.publish('t.v1', [{ key: 'k', value: 'v' }])).rejects.toMatchObject({
      code: 'PUBLISH_FAILED',
    });
    await expect(bus.publish('t.v1', [{ key: 'k', value: 'v' }])).rejects.toBeInstanceOf(AppError);
    await expect(bus.healthy()).resolves.toBe(false);
  });
});
