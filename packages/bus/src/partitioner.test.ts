import {
  createCachingPartitioner,
  PARTITION_CACHE_KEYS,
  partitionForKey,
  type PartitionerArgs,
} from './partitioner';

function args(partitions: number, message: PartitionerArgs['message']): PartitionerArgs {
  return {
    topic: 't',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1 })),
    message,
  };
}

describe('createCachingPartitioner', () => {
  it("picks Kafka's default partition for a key, also when it answers from its cache", () => {
    const partition = createCachingPartitioner();
    for (const partitions of [4, 12]) {
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 500; i++) {
          const key = `room-${i}`;
          expect(partition(args(partitions, { key }))).toBe(partitionForKey(key, partitions));
          expect(partition(args(partitions, { key: Buffer.from(key) }))).toBe(
            partitionForKey(key, partitions),
          );
        }
      }
    }
  });

  it('keeps answering right after the cache was emptied at its bound', () => {
    const partition = createCachingPartitioner();
    for (let i = 0; i <= PARTITION_CACHE_KEYS + 10; i++) partition(args(4, { key: `k${i}` }));
    expect(partition(args(4, { key: 'room-42' }))).toBe(partitionForKey('room-42', 4));
    expect(partition(args(4, { key: 'k7' }))).toBe(partitionForKey('k7', 4));
  });

  it('keeps an explicit partition and spreads keyless records over every partition', () => {
    const partition = createCachingPartitioner();
    expect(partition(args(4, { key: 'room-1', partition: 2 }))).toBe(2);
    const seen = new Set(Array.from({ length: 8 }, () => partition(args(4, { key: null }))));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
  });
});
