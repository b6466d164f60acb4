// The only file that imports kafkajs: it is unmaintained, so it must stay replaceable.
import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
  type logCreator,
} from 'kafkajs';
import { BackgroundCommitter } from './background-committer';
import { ConsumerRevival } from './consumer-revival';
import { HandledOffsets } from './handled-offsets';
import {
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_BACKOFF_MS,
  runBatch,
  type RunnerCounters,
} from './consumer-runner';
import type {
  BusRecord,
  BusStats,
  MessageBus,
  OutgoingRecord,
  PartitionLag,
  SubscribeOptions,
  Subscription,
  TopicConfig,
} from './message-bus';
import { DEFAULT_TOPIC_PARTITIONS, partitionLag } from './message-bus';
import { createCachingPartitioner } from './partitioner';
import { activeTraceHeaders, outgoingHeaders } from './record-headers';

/** Consumer session timeout: how long a silent member keeps its partitions. */
export const KAFKA_SESSION_TIMEOUT_MS = 10_000;
export const KAFKA_HEARTBEAT_INTERVAL_MS = 1_000;
/**
 * Longest a fetch waits on the broker for new records. Low because chat latency matters more
 * than the few idle fetch requests per second it costs.
 */
export const KAFKA_MAX_WAIT_TIME_MS = 100;
/**
 * Partitions one consumer processes at the same time (still one batch per partition, so a room's
 * records stay in order). kafkajs fetches again only when every batch of the last fetch is done,
 * so a batch waits for the others; 16 covers every partition of a default-sized subscription
 * (notification reads 2 topics x 4 partitions), and an idle worker costs nothing.
 */
export const KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY = 16;
/**
 * While batches keep coming, a consumer commits at most once per this many ms (the first commit
 * after a pause goes at once). Each commit is a write to __consumer_offsets on the broker;
 * committing after every fetch cycle instead gave end-to-end p50 171–205 ms against 134–154 ms at
 * 1 000 msgs/s (bench/kafka-path.ts, three alternating pairs on the shared 2-core box).
 */
export const KAFKA_COMMIT_INTERVAL_MS = 100;
/** `healthy()` answers false when the broker does not answer within this. */
export const KAFKA_HEALTH_TIMEOUT_MS = 2_000;
const KAFKA_CONNECTION_TIMEOUT_MS = 3_000;

export interface KafkaConsumerTuning {
  /** Default KAFKA_SESSION_TIMEOUT_MS (10 s). */
  sessionTimeoutMs?: number;
  /** Default KAFKA_HEARTBEAT_INTERVAL_MS (1 s). */
  heartbeatIntervalMs?: number;
  /** Default KAFKA_MAX_WAIT_TIME_MS (100 ms). */
  maxWaitTimeMs?: number;
  /** Default KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY (16). */
  partitionsConsumedConcurrently?: number;
}

export interface KafkaMessageBusOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs's own logs go here (warn and above), under `component: kafkajs`. */
  logger: Logger;
  /**
   * How long publishes are collected before one `sendBatch`; default 0 = everything published
   * in the same tick (and while the previous send is in flight) goes in one request.
   */
  lingerMs?: number;
  consumer?: KafkaConsumerTuning;
  /**
   * Default cap of a consumer's retry backoff, ms (SubscribeOptions.retryMaxBackoffMs): how soon
   * after a Redis/MongoDB/Kafka outage a consumer carries on. Default 2 000.
   */
  retryMaxBackoffMs?: number;
}

/** Publishes waiting for the next `sendBatch`; all their callers share `done`. */
interface PendingSend {
  topics: Map<string, Message[]>;
  count: number;
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * The production `MessageBus` on kafkajs 2.2.4. Publishing is coalesced: one `sendBatch`
 * (acks = all) per tick or linger window, and only one in flight at a time, which both batches
 * under load and keeps per-key order across `publish` calls. Consumers use `eachBatch` with
 * manual offset resolution and the shared retry/DLQ runner (consumer-runner.ts).
 */
export class KafkaMessageBus implements MessageBus {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly lingerMs: number;
  private readonly tuning: Required<KafkaConsumerTuning>;
  private readonly retryMaxBackoffMs: number;
  private readonly counters: RunnerCounters = { consumed: 0, retried: 0, deadLettered: 0 };
  private published = 0;
  private readonly subscriptions = new Set<Subscription>();
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private pending: PendingSend | undefined;
  private sending: Promise<void> | undefined;
  /** Cancels the scheduled flush (a timer when lingering, else an immediate). */
  private cancelScheduledFlush: (() => void) | undefined;
  private closing = false;
  private closed = false;
  private closeDone: Promise<void> | undefined;

  constructor(options: KafkaMessageBusOptions) {
    this.logger = options.logger;
    this.lingerMs = options.lingerMs ?? 0;
    this.retryMaxBackoffMs = options.retryMaxBackoffMs ?? DEFAULT_RETRY_MAX_BACKOFF_MS;
    this.tuning = {
      sessionTimeoutMs: options.consumer?.sessionTimeoutMs ?? KAFKA_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: options.consumer?.heartbeatIntervalMs ?? KAFKA_HEARTBEAT_INTERVAL_MS,
      maxWaitTimeMs: options.consumer?.maxWaitTimeMs ?? KAFKA_MAX_WAIT_TIME_MS,
      partitionsConsumedConcurrently:
        options.consumer?.partitionsConsumedConcurrently ?? KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
    };
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: KAFKA_CONNECTION_TIMEOUT_MS,
      // ~3 s of backoff in total before a request fails (kafkajs default: 300 ms initial, ~10 s).
      retry: { initialRetryTime: 100, retries: 5 },
      logLevel: logLevel.WARN,
      logCreator: pinoLogCreator(options.logger.child({ component: 'kafkajs' })),
    });
  }

  async ensureTopics(topics: TopicConfig[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connectedAdmin();
    // Services start together and ensure overlapping topics: a topic another process is creating
    // right now answers UNKNOWN_TOPIC_OR_PARTITION / LEADER_NOT_AVAILABLE to the metadata wait
    // (seen in CI). Those are retriable: list again and the topic is there.
    for (let attempt = 1; ; attempt++) {
      try {
        // Only the missing ones: every service ensures its topics at start, and the broker's
        // TOPIC_ALREADY_EXISTS reply would be logged as an error by kafkajs.
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t.name));
        if (missing.length === 0) return;
        // A concurrent creator is not an error: kafkajs answers false when all already exist.
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions ?? DEFAULT_TOPIC_PARTITIONS,
          })),
        });
        return;
      } catch (err) {
        if (attempt < ENSURE_TOPICS_ATTEMPTS && isRetriableKafkaError(err)) {
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
          continue;
        }
        throw new AppError('BUS_UNAVAILABLE', `creating topics failed: ${errorMessage(err)}`, { cause: err });
      }
    }
  }

  async deleteTopics(names: string[]): Promise<void> {
    if (names.length === 0) return;
    const admin = await this.connectedAdmin();
    try {
      const existing = new Set(await admin.listTopics());
      const topics = names.filter((n) => existing.has(n));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } catch (err) {
      if (kafkaErrorType(err) === 'UNKNOWN_TOPIC_OR_PARTITION') return;
      throw new AppError('BUS_UNAVAILABLE', `deleting topics failed: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * Records held by every existing topic whose name `match` accepts: per partition, high
   * watermark minus log start offset, summed. Not on the MessageBus port: an operator's and a
   * benchmark's question (the chaos suite's DLQ size), not a service's.
   */
  async topicRecordCounts(match: (topic: string) => boolean): Promise<Record<string, number>> {
    const admin = await this.connectedAdmin();
    try {
      const counts: Record<string, number> = {};
      for (const topic of (await admin.listTopics()).filter(match).sort()) {
        const offsets = await admin.fetchTopicOffsets(topic);
        counts[topic] = offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0);
      }
      return counts;
    } catch (err) {
      throw new AppError('BUS_UNAVAILABLE', `reading topic offsets failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.closed)
      return Promise.reject(new AppError('PUBLISH_FAILED', 'message bus is closed', { retriable: false }));
    if (records.length === 0) return Promise.resolve();
    const trace = activeTraceHeaders();
    const pending = (this.pending ??= newPendingSend());
    let messages = pending.topics.get(topic);
    if (!messages) {
      messages = [];
      pending.topics.set(topic, messages);
    }
    for (const record of records) {
      messages.push({
        key: record.key,
        value: record.value,
        headers: outgoingHeaders(record.headers, trace),
      });
    }
    pending.count += records.length;
    this.scheduleFlush();
    return pending.done;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closing) throw new AppError('BUS_UNAVAILABLE', 'message bus is closed', { retriable: false });
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.tuning.sessionTimeoutMs,
      heartbeatInterval: this.tuning.heartbeatIntervalMs,
      maxWaitTimeInMs: options.fetchMaxWaitMs ?? this.tuning.maxWaitTimeMs,
      minBytes: options.fetchMinBytes ?? 1,
      allowAutoTopicCreation: true,
    });
    const abort = new AbortController();
    const ready = whenConsuming(consumer);
    // `ready` may reject without anyone awaiting it; the crash itself is logged below.
    ready.catch((err: unknown) =>
      this.logger.debug({ err, groupId: options.groupId }, 'subscription never became ready'),
    );
    // Set once run() is configured below; a crash kafkajs will not restart is revived with it.
    let revival: ConsumerRevival | undefined;
    // Down from a crash until the consumer joins its group again (restarted or revived).
    let down = false;
    let stopped: Promise<void> | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      down = true;
      this.logger.error(
        { err: event.payload.error, groupId: options.groupId, restart: event.payload.restart },
        'kafka consumer crashed',
      );
      revival?.crashed(event.payload.restart);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      down = false;
    });
    const policy = {
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      retryBaseMs: options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      maxBackoffMs: options.retryMaxBackoffMs ?? this.retryMaxBackoffMs,
    };
    const committer = new BackgroundCommitter(
      this.logger.child({ groupId: options.groupId }),
      KAFKA_COMMIT_INTERVAL_MS,
      (err) => REBALANCE_ERROR_TYPES.has(kafkaErrorType(err) ?? ''),
    );
    const batches = new InFlightCount();
    const handled = new HandledOffsets();
    const eachBatch = async (payload: EachBatchPayload): Promise<void> => {
      const { batch } = payload;
      if (batch.messages.length === 0) return;
      batches.enter();
      try {
        const { repeats, fresh } = handled.split(batch.topic, batch.partition, batch.messages);
        for (const m of repeats) payload.resolveOffset(m.offset);
        if (repeats.length > 0)
          this.logger.debug(
            {
              groupId: options.groupId,
              topic: batch.topic,
              partition: batch.partition,
              repeats: repeats.length,
            },
            'skipped records this member already handled (refetched after a rebalance)',
          );
        const records = fresh.map((m) => toBusRecord(batch.topic, batch.partition, m));
        await runBatch(records, {
          handler: options.handler,
          policy,
          publish: (topic, letters) => this.publish(topic, letters),
          markDone: (record) => {
            handled.done(record.topic, record.partition, record.offset);
            payload.resolveOffset(record.offset);
          },
          heartbeat: () => payload.heartbeat(),
          signal: abort.signal,
          isActive: () => payload.isRunning() && !payload.isStale(),
          counters: this.counters,
          events: options.events,
          logger: this.logger,
        });
        // Commits what the runner resolved (handled or dead-lettered) — only after the handler
        // succeeded — without holding the next fetch for the round trip: see BackgroundCommitter.
        committer.request(() => payload.commitOffsetsIfNecessary());
        await payload.heartbeat();
      } finally {
        batches.leave();
      }
    };

    try {
      await consumer.connect();
      // A topic created a moment ago (by this or another service) can still answer
      // UNKNOWN_TOPIC_OR_PARTITION to the metadata request behind subscribe (seen in CI): retry.
      for (let attempt = 1; ; attempt++) {
        try {
          await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? false });
          break;
        } catch (err) {
          if (attempt >= ENSURE_TOPICS_ATTEMPTS || !isRetriableKafkaError(err)) throw err;
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        }
      }
      const runConfig = {
        // Commits are ours (BackgroundCommitter); autoCommitThreshold 1 makes
        // commitOffsetsIfNecessary() commit whatever has been resolved.
        autoCommit: false,
        autoCommitThreshold: 1,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.tuning.partitionsConsumedConcurrently,
        eachBatch,
      };
      revival = new ConsumerRevival(
        { connect: () => consumer.connect(), run: () => consumer.run(runConfig) },
        { signal: abort.signal, logger: this.logger, groupId: options.groupId },
      );
      await consumer.run(runConfig);
    } catch (err) {
      abort.abort();
      await consumer
        .disconnect()
        .catch((e: unknown) => this.logger.warn({ err: e }, 'consumer disconnect after failed subscribe'));
      throw new AppError('BUS_UNAVAILABLE', `subscribing ${options.groupId} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }

    const subscription: Subscription = {
      ready,
      live: () => !down && stopped === undefined,
      stop: () => {
        // Abort first so a retry backoff ends and no new batch starts work; pause so no new
        // batch is fetched; let the batch in flight finish; commit what it resolved while this
        // member still owns its partitions; then leave the group (kafkajs's disconnect).
        stopped ??= (async () => {
          abort.abort();
          try {
            // A revival in flight ends (aborted) or finishes running before the disconnect.
            await revival?.idle();
            pauseAll(consumer, options.topics, this.logger);
            await batches.idle();
            await committer.flush();
            await consumer.disconnect();
          } finally {
            this.subscriptions.delete(subscription);
          }
        })();
        return stopped;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Committed offsets (OffsetFetch to the group coordinator) against each partition's high
   * watermark and log start (ListOffsets): four admin requests per topic, made by whoever samples
   * (service-kit samples every LAG_SAMPLE_INTERVAL_MS), not per record.
   */
  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const admin = await this.connectedAdmin();
    try {
      const existing = new Set(await admin.listTopics());
      const names = [...new Set(topics)].filter((t) => existing.has(t)).sort();
      if (names.length === 0) return [];
      const [committed, ends] = await Promise.all([
        // resolveOffsets stays false: true would WRITE the resolved offsets for the group.
        admin.fetchOffsets({ groupId, topics: names }),
        Promise.all(names.map((topic) => admin.fetchTopicOffsets(topic))),
      ]);
      const out: PartitionLag[] = [];
      names.forEach((topic, i) => {
        const offsets = new Map(
          (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [
            p.partition,
            Number(p.offset),
          ]),
        );
        for (const end of [...(ends[i] ?? [])].sort((a, b) => a.partition - b.partition)) {
          const offset = offsets.get(end.partition) ?? -1;
          out.push(
            partitionLag(
              topic,
              end.partition,
              offset >= 0 ? offset : null,
              Number(end.high),
              Number(end.low),
            ),
          );
        }
      });
      return out;
    } catch (err) {
      throw new AppError('BUS_UNAVAILABLE', `reading the lag of ${groupId} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  stats(): BusStats {
    return { published: this.published, ...this.counters };
  }

  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await withTimeout(
        this.connectedAdmin().then((admin) => admin.describeCluster()),
        KAFKA_HEALTH_TIMEOUT_MS,
      );
      return true;
    } catch (err) {
      this.logger.debug({ err }, 'kafka health check failed');
      return false;
    }
  }

  close(): Promise<void> {
    this.closeDone ??= this.closeOnce();
    return this.closeDone;
  }

  private async closeOnce(): Promise<void> {
    this.closing = true;
    // Subscriptions first, while publish still works: a handler that publishes downstream must
    // not fail (and dead-letter) its in-flight batch because the bus is closing.
    const stops = await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
    // Publishes accepted before close still go out (their callers are waiting).
    while (this.sending || this.pending) {
      if (!this.sending) this.flush();
      await this.sending?.catch((err: unknown) => this.logger.warn({ err }, 'publish failed while closing'));
    }
    const producer = this.producer;
    const admin = this.admin;
    this.producer = undefined;
    this.admin = undefined;
    const disconnects = await Promise.allSettled([
      producer?.then((p) => p.disconnect()),
      admin?.then((a) => a.disconnect()),
    ]);
    for (const result of [...stops, ...disconnects]) {
      if (result.status === 'rejected')
        this.logger.warn({ err: result.reason }, 'error while closing kafka bus');
    }
  }

  private scheduleFlush(): void {
    if (this.sending || this.cancelScheduledFlush) return;
    if (this.lingerMs > 0) {
      const timer = setTimeout(() => this.flush(), this.lingerMs);
      this.cancelScheduledFlush = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.flush());
      this.cancelScheduledFlush = () => clearImmediate(immediate);
    }
  }

  /** Sends everything pending in one `sendBatch`; what arrives meanwhile waits for the next. */
  private flush(): void {
    this.cancelScheduledFlush?.();
    this.cancelScheduledFlush = undefined;
    const batch = this.pending;
    if (!batch || this.sending) return;
    this.pending = undefined;
    this.sending = this.send(batch).finally(() => {
      this.sending = undefined;
      // Records that queued up during the send already waited a round trip: send at once.
      if (this.pending) this.flush();
    });
  }

  private async send(batch: PendingSend): Promise<void> {
    try {
      const producer = await this.connectedProducer();
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...batch.topics].map(([topic, messages]) => ({ topic, messages })),
      });
      this.published += batch.count;
      batch.resolve();
    } catch (err) {
      batch.reject(
        new AppError('PUBLISH_FAILED', `publishing ${batch.count} records failed: ${errorMessage(err)}`, {
          cause: err,
          retriable: true,
        }),
      );
    }
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        // kafkajs's DefaultPartitioner for keyed records, cached per key (see partitioner.ts).
        createPartitioner: createCachingPartitioner,
        allowAutoTopicCreation: true,
      });
      const connecting = producer.connect().then(() => producer);
      this.producer = connecting;
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = undefined;
      });
    }
    return this.producer;
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      this.admin = connecting;
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = undefined;
      });
    }
    return this.admin.catch((err: unknown) => {
      throw new AppError('BUS_UNAVAILABLE', `kafka admin connect failed: ${errorMessage(err)}`, {
        cause: err,
      });
    });
  }
}

/** Broker answers to a commit that mean the group is rebalancing; expected, not alarming. */
const REBALANCE_ERROR_TYPES = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
]);

/** How many batches are being handled, and a way to wait until none is. */
class InFlightCount {
  private count = 0;
  private waiters: (() => void)[] = [];
  enter(): void {
    this.count += 1;
  }
  leave(): void {
    this.count -= 1;
    if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
  }
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** Stops fetching new batches for `topics` (best effort: a consumer that never ran has nothing to pause). */
function pauseAll(consumer: Consumer, topics: string[], logger: Logger): void {
  try {
    consumer.pause(topics.map((topic) => ({ topic })));
  } catch (err) {
    logger.debug({ err }, 'pause before stop failed');
  }
}

function newPendingSend(): PendingSend {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { topics: new Map(), count: 0, done, resolve, reject };
}

function toBusRecord(topic: string, partition: number, message: KafkaMessage): BusRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers: message.headers ?? {},
    timestamp: Number(message.timestamp),
  };
}

/**
 * Resolves once the consumer joined its group AND fetched once: kafkajs resolves the start
 * offset (committed, or earliest/latest) at the first fetch, not at the join, so a record
 * published right after GROUP_JOIN could land before a `latest` start and be skipped.
 */
function whenConsuming(consumer: Consumer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let joined = false;
    const removers: Array<() => void> = [];
    const finish = (err?: unknown): void => {
      for (const remove of removers) remove();
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    removers.push(
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        joined = true;
        const assigned = Object.values(event.payload.memberAssignment).some(
          (partitions) => partitions.length > 0,
        );
        // Without partitions this member never fetches; joined is all there is to wait for.
        if (!assigned) finish();
      }),
      consumer.on(consumer.events.FETCH, () => {
        if (joined) finish();
      }),
      consumer.on(consumer.events.CRASH, (event) => {
        if (!event.payload.restart)
          finish(
            new AppError('BUS_UNAVAILABLE', 'kafka consumer crashed before it was ready', {
              cause: event.payload.error,
            }),
          );
      }),
    );
  });
}

/** Routes kafkajs logs to pino; kafkajs is set to WARN, so only warnings and errors arrive. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      const fields = { ...extra, namespace };
      // kafkajs logs every error response (a heartbeat during a rebalance, ...) as an error
      // before handling it or handing it to the caller, which reports it: keep those quiet.
      if (namespace === 'Connection' && message.startsWith('Response ')) logger.debug(fields, message);
      else if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

/** How many times ensureTopics retries a retriable broker answer (~10 s in all). */
const ENSURE_TOPICS_ATTEMPTS = 8;

function isRetriableKafkaError(err: unknown): boolean {
  const type = kafkaErrorType(err);
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE' || type === 'NOT_CONTROLLER')
    return true;
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true;
}

function kafkaErrorType(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'type' in err && typeof err.type === 'string') return err.type;
  return undefined;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('BUS_UNAVAILABLE', `no answer from kafka within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
