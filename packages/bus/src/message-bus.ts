import type { RecordHeaders } from '@roomcast/telemetry';

/** One record to publish. `key` decides the partition: always the roomId for room-scoped topics. */
export interface OutgoingRecord {
  key: string;
  value: Buffer | string;
  /** Extra headers; W3C trace headers of the active context are added by the bus. */
  headers?: Record<string, string>;
}

/** One record delivered to a handler. */
export interface BusRecord {
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string. */
  offset: string;
  key: string;
  value: Buffer;
  headers: RecordHeaders;
  /** Broker/producer timestamp, ms since epoch. */
  timestamp: number;
}

/**
 * Partitions of a topic created without a count, by either adapter (the test broker's
 * `num.partitions` too), so a key lands on the same partition number in the twin and in Kafka.
 */
export const DEFAULT_TOPIC_PARTITIONS = 4;

export interface TopicConfig {
  name: string;
  /** Default 4. */
  partitions?: number;
}

/**
 * Handles a batch of records from ONE partition, in offset order. Resolve = every record is
 * done and its offset may be committed. Throw = the bus retries with backoff: an error marked
 * retriable (an outage) until it succeeds or the subscription stops, an unknown error
 * `maxRetries` times; then, and at once for a non-retriable error (a bad record), it processes
 * the batch record by record and dead-letters the ones that still fail (see consumer-runner.ts).
 * Handlers must be idempotent: a record can be seen again after a crash or rebalance.
 */
export type BatchHandler = (records: BusRecord[]) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group id; instances sharing it split the partitions. */
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  /** Start at the earliest offset when the group has no committed offset (default false = latest). */
  fromBeginning?: boolean;
  /**
   * Retries of a batch, then of a record, failing with an unknown error (no `retriable` flag)
   * before it is dead-lettered. Errors marked retriable are retried without a bound. Default 5.
   */
  maxRetries?: number;
  /** First backoff in ms (doubles, with jitter). Default 100. */
  retryBaseMs?: number;
  /**
   * Cap of one backoff in ms, so also how soon after an outage ends the consumer carries on.
   * Default: the bus's `retryMaxBackoffMs`, else DEFAULT_RETRY_MAX_BACKOFF_MS (2 000).
   */
  retryMaxBackoffMs?: number;
  /**
   * For a consumer off the latency path (persistence): a fetch waits until this many bytes are
   * there (or `fetchMaxWaitMs` passed), so batches are larger and fetch/handle/commit cycles
   * fewer, which saves CPU the latency path needs. Default 1 = return as soon as one record is
   * there. The in-memory twin hands over whatever is there, as before.
   */
  fetchMinBytes?: number;
  /** Longest a fetch waits for `fetchMinBytes`, ms. Default KAFKA_MAX_WAIT_TIME_MS (100). */
  fetchMaxWaitMs?: number;
  /** Told of retries and dead letters, for metrics (service-kit's ConsumerMetrics). */
  events?: ConsumerEvents;
}

/**
 * What a subscription reports as it happens, for metrics. Called synchronously on the consumer's
 * path: each hook must be cheap and must not throw. `code` is the failure's AppError code, else
 * HANDLER_FAILED (as in the DLQ headers).
 */
export interface ConsumerEvents {
  /** A failed attempt at a batch (or one record of it) of `topic` is being retried after its backoff. */
  retry?(topic: string, code: string): void;
  /** `record` was written to `<topic>.dlq`. */
  deadLettered?(record: BusRecord, code: string): void;
}

/** One partition of a consumer group's lag (`MessageBus.consumerLag`). */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** The next offset the group reads, as committed; null when it has committed nothing here. */
  committedOffset: number | null;
  /** The offset the next record published to the partition gets (high watermark). */
  highWatermark: number;
  /**
   * Records published but not committed by the group: high watermark minus the committed offset
   * (or the log start, when retention deleted past it). 0 for a partition without a commit: the
   * group starts at its end (a gateway) or has not finished its first batch there yet.
   */
  lag: number;
}

/** The lag of one partition from its offsets (both adapters compute it the same way). */
export function partitionLag(
  topic: string,
  partition: number,
  committedOffset: number | null,
  highWatermark: number,
  logStartOffset: number,
): PartitionLag {
  const lag = committedOffset === null ? 0 : Math.max(0, highWatermark - Math.max(committedOffset, logStartOffset));
  return { topic, partition, committedOffset, highWatermark, lag };
}

export interface Subscription {
  /** Stops fetching, waits for the in-flight batch, commits, leaves the group. */
  stop(): Promise<void>;
  /** Resolves when the consumer has joined its group and has partitions assigned. */
  ready: Promise<void>;
  /**
   * Whether the consumer is in its group and fetching: false from a crash until it has joined its
   * group again (kafkajs's own restart or a ConsumerRevival), and false once stop() was called.
   * What /readyz reports as `consuming`.
   */
  live(): boolean;
}

/** Counters a bus exposes for /metrics. */
export interface BusStats {
  published: number;
  consumed: number;
  retried: number;
  deadLettered: number;
}

/**
 * The message bus port. `KafkaMessageBus` (kafkajs) is the production adapter,
 * `InMemoryMessageBus` the twin used by the embedded start and unit tests; both pass
 * `describeMessageBusContract`.
 */
export interface MessageBus {
  /** Creates topics that do not exist yet (idempotent). */
  ensureTopics(topics: TopicConfig[]): Promise<void>;
  /** Deletes topics (idempotent); used for per-gateway delivery topics and tests. */
  deleteTopics(names: string[]): Promise<void>;
  /**
   * Publishes records; resolves once the broker has them (acks=all). Records published in the
   * same tick are sent in one request. Throws AppError(PUBLISH_FAILED, retriable).
   */
  publish(topic: string, records: OutgoingRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * The lag of consumer group `groupId` on every partition of `topics` (existing ones), sorted by
   * topic and partition: committed offset against high watermark, as the broker has them now.
   * Throws AppError(BUS_UNAVAILABLE) when the broker cannot be asked.
   */
  consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]>;
  stats(): BusStats;
  /** Whether the bus can currently reach its broker. */
  healthy(): Promise<boolean>;
  /** Stops every subscription and closes connections. */
  close(): Promise<void>;
}
