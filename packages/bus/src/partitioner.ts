/**
 * Kafka's default key partitioner (murmur2, as in the Java client and kafkajs's
 * `Partitioners.DefaultPartitioner`), so the in-memory twin puts a key on the same partition
 * number the real broker does.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of the UTF-8 bytes of `key`, as a signed 32-bit integer. */
export function murmur2(key: string | Buffer): number {
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  // Fall-through on purpose: the Java original's switch without breaks.
  if (rest === 3) h ^= (data[whole + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (data[whole + 1] ?? 0) << 8;
  if (rest >= 1) {
    h ^= data[whole] ?? 0;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for `key` on a topic with `partitions` partitions. */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** What a kafkajs partitioner is called with (structurally; kafkajs stays in message-bus.kafka.ts). */
export interface PartitionerArgs {
  topic: string;
  partitionMetadata: { partitionId: number; leader: number }[];
  message: { key?: Buffer | string | null; partition?: number | null };
}

/** Keys whose partition a caching partitioner remembers before it starts over. */
export const PARTITION_CACHE_KEYS = 100_000;

/**
 * Kafka's default partitioner for keyed records (`partitionForKey`: murmur2 of the key modulo the
 * partition count, as kafkajs's DefaultPartitioner and the Java client choose), remembering the
 * answer per key and partition count: room ids repeat on every record, and kafkajs hashed each key
 * again and filtered the partition list per message — 7.5% of notification's CPU at 1 000 msgs/s
 * (--cpu-prof, bench/kafka-path.ts). A record with an explicit partition keeps it; one without a
 * key goes round-robin.
 */
export function createCachingPartitioner(): (args: PartitionerArgs) => number {
  const cache = new Map<string, number>();
  let roundRobin = 0;
  return ({ partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key === null || message.key === undefined) {
      roundRobin = (roundRobin + 1) & 0x7fffffff;
      return roundRobin % partitions;
    }
    const key = typeof message.key === 'string' ? message.key : message.key.toString('latin1');
    const cacheKey = `${partitions}:${key}`;
    let partition = cache.get(cacheKey);
    if (partition === undefined) {
      partition = (murmur2(message.key) & 0x7fffffff) % partitions;
      if (cache.size >= PARTITION_CACHE_KEYS) cache.clear();
      cache.set(cacheKey, partition);
    }
    return partition;
  };
}
