export { kafkaEnv, redisEnv, mongoEnv, commonEnv, recentMessagesEnv, authEnv } from './env';
export { rateLimitPerClient, requireBearerToken } from './admin-auth';
export {
  createHttpApp,
  listen,
  closeServer,
  readinessGauge,
  READINESS_METRIC_TIMEOUT_MS,
  type HttpOptions,
  type ReadinessCheck,
} from './http';
export { ConsumerMetrics, LAG_SAMPLE_INTERVAL_MS, type ConsumerMetricsOptions } from './consumer-metrics';
export { handleSignals, type Stoppable } from './lifecycle';
export { decodeBatch, processRecord, recordSource, type DecodedRecord } from './consumer';
export {
  publishEvent,
  publishEvents,
  publishDeliveries,
  type OutgoingEvent,
  type RoutedDelivery,
} from './publish';
export { newMessageId } from './ids';
export {
  Counter,
  Histogram,
  MetricsRegistry,
  rateLimitedCounter,
  LATENCY_BUCKETS_SECONDS,
  SIZE_BUCKETS,
  type Family,
  type GaugeEmit,
  type Labels,
} from './metrics';
export {
  runService,
  startAndServe,
  consumerLifecycle,
  telemetryOptions,
  type ServiceApp,
  type ServiceParts,
  type TelemetryConfig,
} from './service';
export { TokenBucket } from './token-bucket';
