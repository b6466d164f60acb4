import type {
  BatchHandler,
  ConsumerEvents,
  MessageBus,
  PartitionLag,
  SubscribeOptions,
  Subscription,
} from '@roomcast/bus';
import type { Logger } from '@roomcast/logger';
import {
  LATENCY_BUCKETS_SECONDS,
  SIZE_BUCKETS,
  type Counter,
  type Family,
  type Histogram,
  type MetricsRegistry,
} from './metrics';

/** How often each subscription's consumer lag is read from the broker, ms. */
export const LAG_SAMPLE_INTERVAL_MS = 10_000;

/** Buckets of a batch's handling time, seconds: 0.1 ms to 10 s. */
const HANDLE_BUCKETS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

export interface ConsumerMetricsOptions {
  metrics: MetricsRegistry;
  /** The `service` label of every series: gateway, chat-ingest, filter, persistence, notification. */
  service: string;
  logger: Logger;
  /** Default LAG_SAMPLE_INTERVAL_MS (10 s). */
  lagSampleIntervalMs?: number;
}

/** The per-topic series of one service, made at the topic's first batch. */
interface TopicSeries {
  batch: Histogram;
  hop: Histogram;
  handle: Histogram;
}

/**
 * The metrics of one service's Kafka consumers, all labelled `service` and `topic` (the full
 * topic name, prefix included):
 *
 * - `roomcast_consumer_batch_records` (histogram): records per handled batch (one partition's).
 * - `roomcast_consumer_hop_latency_seconds` (histogram): per record, from its Kafka timestamp —
 *   when the upstream service published it — to the end of the handler that took it: the
 *   record's wait in Kafka plus its handling, i.e. the latency of this hop.
 * - `roomcast_consumer_batch_duration_seconds` (histogram): the handler's own time per batch.
 * - `roomcast_consumer_retries_total` (`code`): failed attempts retried (an outage shows here
 *   first: PRESENCE_UNAVAILABLE / STORE_UNAVAILABLE for Redis or MongoDB, PUBLISH_FAILED for Kafka).
 * - `roomcast_dlq_writes_total` (`code`): records written to `<topic>.dlq`.
 * - `roomcast_consumer_lag_records` (`partition`): the group's lag, read from the broker every
 *   `lagSampleIntervalMs` while subscribed (MessageBus.consumerLag); every member of a group
 *   reports the whole group's lag, so aggregate with max, not sum. A failed read drops the series
 *   until the next one succeeds and counts in `roomcast_consumer_lag_sample_failures_total`.
 *
 * Each measure costs a map lookup per batch and one histogram observation per record.
 */
export class ConsumerMetrics {
  private readonly service: string;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly batchRecords: Family<'service' | 'topic', Histogram>;
  private readonly hopLatency: Family<'service' | 'topic', Histogram>;
  private readonly batchDuration: Family<'service' | 'topic', Histogram>;
  private readonly retries: Family<'service' | 'topic' | 'code', Counter>;
  private readonly dlqWrites: Family<'service' | 'topic' | 'code', Counter>;
  private readonly lagFailures: Counter;
  private readonly topics = new Map<string, TopicSeries>();
  /** The last lag read of each live subscription, by group id. */
  private readonly lags = new Map<string, PartitionLag[]>();
  /** The bus hooks of every subscription of this service. */
  readonly events: ConsumerEvents;

  constructor(options: ConsumerMetricsOptions) {
    const { metrics, service } = options;
    this.service = service;
    this.logger = options.logger;
    this.intervalMs = options.lagSampleIntervalMs ?? LAG_SAMPLE_INTERVAL_MS;
    const labels = ['service', 'topic'] as const;
    this.batchRecords = metrics.histogramFamily(
      'roomcast_consumer_batch_records',
      'records per handled batch (one partition of one topic)',
      labels,
      SIZE_BUCKETS,
    );
    this.hopLatency = metrics.histogramFamily(
      'roomcast_consumer_hop_latency_seconds',
      'per record, from its Kafka timestamp (published upstream) to handled here: queue time plus handling',
      labels,
      LATENCY_BUCKETS_SECONDS,
    );
    this.batchDuration = metrics.histogramFamily(
      'roomcast_consumer_batch_duration_seconds',
      'time the handler took for one batch',
      labels,
      HANDLE_BUCKETS_SECONDS,
    );
    this.retries = metrics.counterFamily(
      'roomcast_consumer_retries_total',
      'failed handler attempts retried after a backoff, by error code',
      ['service', 'topic', 'code'],
    );
    this.dlqWrites = metrics.counterFamily(
      'roomcast_dlq_writes_total',
      'records written to <topic>.dlq, by source topic and error code',
      ['service', 'topic', 'code'],
    );
    this.lagFailures = metrics
      .counterFamily(
        'roomcast_consumer_lag_sample_failures_total',
        'consumer lag reads the broker did not answer',
        ['service'],
      )
      .labels({ service });
    metrics.gaugeFamily(
      'roomcast_consumer_lag_records',
      'records published but not yet committed by the consumer group, per partition (sampled; every member reports the whole group)',
      ['service', 'topic', 'partition'],
      (emit) => {
        for (const lags of this.lags.values())
          for (const l of lags) emit({ service, topic: l.topic, partition: String(l.partition) }, l.lag);
      },
    );
    this.events = {
      retry: (topic, code) => this.retries.labels({ service, topic, code }).inc(),
      deadLettered: (record, code) => this.dlqWrites.labels({ service, topic: record.topic, code }).inc(),
    };
  }

  /**
   * Subscribes with this service's metrics: the handler measured (batch size, hop latency,
   * handling time, after it resolved), retries and dead letters counted, and the group's lag
   * sampled until the subscription stops.
   */
  async subscribe(bus: MessageBus, options: SubscribeOptions): Promise<Subscription> {
    const sub = await bus.subscribe({
      ...options,
      handler: this.measure(options.handler),
      events: this.events,
    });
    const stopSampling = this.sampleLag(bus, options.groupId, options.topics);
    return {
      ready: sub.ready,
      live: () => sub.live(),
      stop: async () => {
        stopSampling();
        await sub.stop();
      },
    };
  }

  /** `handler`, measured once it resolved (a failed attempt is counted by the retry hook instead). */
  measure(handler: BatchHandler): BatchHandler {
    return async (records) => {
      const started = performance.now();
      await handler(records);
      const first = records[0];
      if (first === undefined) return;
      const now = Date.now();
      const series = this.series(first.topic);
      series.handle.observe((performance.now() - started) / 1000);
      series.batch.observe(records.length);
      // The producer's clock against ours: a negative difference is skew, counted as 0.
      for (const r of records) series.hop.observe(Math.max(0, now - r.timestamp) / 1000);
    };
  }

  /** Reads the group's lag now and every interval (timer unref'd); returns the stop function. */
  private sampleLag(bus: MessageBus, groupId: string, topics: string[]): () => void {
    let stopped = false;
    let reading = false;
    const read = async (): Promise<void> => {
      // A broker that is down answers slowly: never two reads of one group at a time.
      if (reading || stopped) return;
      reading = true;
      try {
        const lags = await bus.consumerLag(groupId, topics);
        if (!stopped) this.lags.set(groupId, lags);
      } catch (err) {
        // No stale figures while the broker cannot be asked; Kafka being down is its own alert.
        this.lags.delete(groupId);
        this.lagFailures.inc();
        this.logger.debug({ err, groupId }, 'consumer lag read failed');
      } finally {
        reading = false;
      }
    };
    void read();
    const timer = setInterval(() => void read(), this.intervalMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
      this.lags.delete(groupId);
    };
  }

  private series(topic: string): TopicSeries {
    let s = this.topics.get(topic);
    if (s === undefined) {
      const labels = { service: this.service, topic };
      s = {
        batch: this.batchRecords.labels(labels),
        hop: this.hopLatency.labels(labels),
        handle: this.batchDuration.labels(labels),
      };
      this.topics.set(topic, s);
    }
    return s;
  }
}
