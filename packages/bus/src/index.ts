export type {
  BatchHandler,
  BusRecord,
  BusStats,
  ConsumerEvents,
  MessageBus,
  OutgoingRecord,
  PartitionLag,
  SubscribeOptions,
  Subscription,
  TopicConfig,
} from './message-bus';
export { DEFAULT_TOPIC_PARTITIONS, partitionLag } from './message-bus';
export {
  InMemoryMessageBus,
  DEFAULT_MAX_BATCH_RECORDS,
  DEFAULT_RETENTION_RECORDS,
  type InMemoryMessageBusOptions,
} from './message-bus.memory';
export {
  KafkaMessageBus,
  KAFKA_SESSION_TIMEOUT_MS,
  KAFKA_HEARTBEAT_INTERVAL_MS,
  KAFKA_MAX_WAIT_TIME_MS,
  KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
  KAFKA_HEALTH_TIMEOUT_MS,
  type KafkaMessageBusOptions,
  type KafkaConsumerTuning,
} from './message-bus.kafka';
export {
  runBatch,
  deadLetterRecord,
  backoffMs,
  failureKind,
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_BACKOFF_MS,
  type BatchRunContext,
  type FailureKind,
  type RetryPolicy,
  type RunnerCounters,
} from './consumer-runner';
export { partitionForKey, murmur2 } from './partitioner';
export { headerValue } from './record-headers';
