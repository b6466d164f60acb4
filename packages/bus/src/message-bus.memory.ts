import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import {
  DEFAULT_MAX_RETRIES,
  DEFAULT_RETRY_BASE_MS,
  DEFAULT_RETRY_MAX_BACKOFF_MS,
  runBatch,
  type RetryPolicy,
  type RunnerCounters,
} from './consumer-runner';
import type {
  BatchHandler,
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
import { partitionForKey } from './partitioner';
import { activeTraceHeaders, outgoingHeaders } from './record-headers';

/** Most records handed to one handler call. */
export const DEFAULT_MAX_BATCH_RECORDS = 500;
/** Records kept per partition; older ones are dropped like Kafka retention drops segments. */
export const DEFAULT_RETENTION_RECORDS = 100_000;
/** Redelivery delay after an unexpected runner failure (never per record). */
const REDELIVER_AFTER_FAILURE_MS = 1_000;

export interface InMemoryMessageBusOptions {
  /** Partitions of ensured-without-count and auto-created topics. Default 4. */
  defaultPartitions?: number;
  /** Most records per handler call. Default 500. */
  maxBatchRecords?: number;
  /** Records retained per partition. Default 100 000. */
  retentionRecords?: number;
  /** Default cap of a retry backoff, ms (SubscribeOptions.retryMaxBackoffMs). Default 2 000. */
  retryMaxBackoffMs?: number;
  /** Dead-lettered records and stuck retries are logged here (warn). */
  logger?: Logger;
}

/** One partition's log: offsets are `startOffset + index`. */
interface PartitionLog {
  records: BusRecord[];
  startOffset: number;
  /** Every group's cursor on this partition. */
  cursors: Set<GroupCursor>;
}

interface TopicState {
  name: string;
  partitions: PartitionLog[];
}

/** A consumer group's position on one partition. */
interface GroupCursor {
  group: GroupState;
  topic: string;
  partition: number;
  log: PartitionLog;
  /** Next offset to consume, as committed; undefined until the group finished a record here. */
  committed: number | undefined;
  /** Next offset to fetch; resolved on assignment from `committed` or the reset policy. */
  position: number;
  owner: Member | undefined;
  inFlight: Promise<void> | undefined;
  removed: boolean;
}

interface GroupState {
  id: string;
  /** In join order; the assignment is round-robin over it. */
  members: Member[];
  /** topic -> one cursor per partition. */
  cursors: Map<string, GroupCursor[]>;
}

interface Member {
  group: GroupState;
  topics: string[];
  handler: BatchHandler;
  events: SubscribeOptions['events'];
  fromBeginning: boolean;
  policy: RetryPolicy;
  abort: AbortController;
  inFlight: Set<Promise<void>>;
  stopped: Promise<void> | undefined;
}

/**
 * The in-process twin of `KafkaMessageBus`: partitioned, offset-ordered logs; consumer groups
 * that split partitions round-robin and rebalance when a member joins or stops; committed
 * offsets per group (new groups start at the end unless `fromBeginning`); at most one batch
 * in flight per partition and group; commit after the handler resolved; the same retry/DLQ
 * runner. Delivery is asynchronous: one `setImmediate` pass drains every partition that has
 * new records, so a burst of publishes costs one wake-up, not one per record.
 */
export class InMemoryMessageBus implements MessageBus {
  private readonly topics = new Map<string, TopicState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly members = new Set<Member>();
  private readonly counters: RunnerCounters = { consumed: 0, retried: 0, deadLettered: 0 };
  private published = 0;
  private readonly dirty = new Set<GroupCursor>();
  private flushScheduled = false;
  private closing = false;
  private closed = false;
  private readonly defaultPartitions: number;
  private readonly maxBatchRecords: number;
  private readonly retentionRecords: number;
  private readonly retryMaxBackoffMs: number;
  private readonly logger: Logger | undefined;

  constructor(options: InMemoryMessageBusOptions = {}) {
    this.defaultPartitions = options.defaultPartitions ?? DEFAULT_TOPIC_PARTITIONS;
    this.maxBatchRecords = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    this.retentionRecords = options.retentionRecords ?? DEFAULT_RETENTION_RECORDS;
    this.retryMaxBackoffMs = options.retryMaxBackoffMs ?? DEFAULT_RETRY_MAX_BACKOFF_MS;
    this.logger = options.logger;
  }

  async ensureTopics(topics: TopicConfig[]): Promise<void> {
    for (const t of topics) this.topicState(t.name, t.partitions);
  }

  async deleteTopics(names: string[]): Promise<void> {
    for (const name of names) {
      const topic = this.topics.get(name);
      if (!topic) continue;
      this.topics.delete(name);
      for (const group of this.groups.values()) {
        for (const cursor of group.cursors.get(name) ?? []) {
          cursor.removed = true;
          cursor.owner = undefined;
        }
        group.cursors.delete(name);
      }
    }
  }

  async publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new AppError('PUBLISH_FAILED', 'message bus is closed', { retriable: false });
    if (records.length === 0) return;
    const state = this.topicState(topic, undefined);
    const trace = activeTraceHeaders();
    const timestamp = Date.now();
    const touched = new Set<PartitionLog>();
    for (const record of records) {
      const partition = partitionForKey(record.key, state.partitions.length);
      const log = state.partitions[partition];
      if (!log) throw new AppError('INTERNAL', `partition ${partition} of ${topic} missing`);
      log.records.push({
        topic,
        partition,
        offset: String(log.startOffset + log.records.length),
        key: record.key,
        value: typeof record.value === 'string' ? Buffer.from(record.value) : record.value,
        headers: outgoingHeaders(record.headers, trace),
        timestamp,
      });
      touched.add(log);
    }
    this.published += records.length;
    for (const log of touched) {
      this.applyRetention(log);
      for (const cursor of log.cursors) this.markDirty(cursor);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.closing) throw new AppError('BUS_UNAVAILABLE', 'message bus is closed', { retriable: false });
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = { id: options.groupId, members: [], cursors: new Map() };
      this.groups.set(group.id, group);
    }
    const member: Member = {
      group,
      topics: [...options.topics],
      handler: options.handler,
      events: options.events,
      fromBeginning: options.fromBeginning ?? false,
      policy: {
        maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
        retryBaseMs: options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
        maxBackoffMs: options.retryMaxBackoffMs ?? this.retryMaxBackoffMs,
      },
      abort: new AbortController(),
      inFlight: new Set(),
      stopped: undefined,
    };
    group.members.push(member);
    this.members.add(member);
    // Subscribing creates missing topics, as a Kafka metadata request does with auto-create on.
    for (const name of member.topics) this.topicState(name, undefined);
    this.rebalance(group);
    return { ready: Promise.resolve(), stop: () => this.stopMember(member), live: () => member.stopped === undefined };
  }

  async consumerLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    const group = this.groups.get(groupId);
    const out: PartitionLag[] = [];
    for (const name of [...new Set(topics)].sort()) {
      const topic = this.topics.get(name);
      if (!topic) continue;
      const cursors = group?.cursors.get(name);
      topic.partitions.forEach((log, partition) => {
        const committed = cursors?.[partition]?.committed;
        out.push(partitionLag(name, partition, committed ?? null, this.endOffset(log), log.startOffset));
      });
    }
    return out;
  }

  stats(): BusStats {
    return { published: this.published, ...this.counters };
  }

  async healthy(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closing = true;
    // Members first, while publish still works, so in-flight handlers that publish can finish.
    await Promise.all([...this.members].map((m) => this.stopMember(m)));
    this.closed = true;
  }

  /** The topic, created with `partitions` (default `defaultPartitions`) if missing. */
  private topicState(name: string, partitions: number | undefined): TopicState {
    const existing = this.topics.get(name);
    if (existing) return existing;
    const count = partitions ?? this.defaultPartitions;
    if (!Number.isInteger(count) || count < 1)
      throw new AppError('BAD_REQUEST', `topic ${name}: partitions must be a positive integer`);
    const topic: TopicState = {
      name,
      partitions: Array.from({ length: count }, () => ({
        records: [],
        startOffset: 0,
        cursors: new Set<GroupCursor>(),
      })),
    };
    this.topics.set(name, topic);
    for (const group of this.groups.values()) {
      if (group.members.some((m) => m.topics.includes(name))) this.rebalance(group);
    }
    return topic;
  }

  /** Reassigns every subscribed partition of `group` round-robin over its members. */
  private rebalance(group: GroupState): void {
    const topicNames = new Set(group.members.flatMap((m) => m.topics));
    for (const name of topicNames) {
      const topic = this.topics.get(name);
      if (!topic) continue;
      let cursors = group.cursors.get(name);
      if (!cursors) {
        cursors = topic.partitions.map((log, partition) => {
          const cursor: GroupCursor = {
            group,
            topic: name,
            partition,
            log,
            committed: undefined,
            position: 0,
            owner: undefined,
            inFlight: undefined,
            removed: false,
          };
          log.cursors.add(cursor);
          return cursor;
        });
        group.cursors.set(name, cursors);
      }
      const owners = group.members.filter((m) => m.topics.includes(name));
      for (const cursor of cursors) {
        const owner = owners.length === 0 ? undefined : owners[cursor.partition % owners.length];
        if (owner === cursor.owner) continue;
        cursor.owner = owner;
        // auto.offset.reset: a partition without a committed offset is resolved by its new owner.
        if (owner)
          cursor.position =
            cursor.committed ?? (owner.fromBeginning ? cursor.log.startOffset : this.endOffset(cursor.log));
        this.markDirty(cursor);
      }
    }
  }

  private async stopMember(member: Member): Promise<void> {
    if (!member.stopped) {
      member.abort.abort();
      const group = member.group;
      group.members = group.members.filter((m) => m !== member);
      this.members.delete(member);
      // New owners wait for this member's in-flight batches (cursor.inFlight) before fetching.
      this.rebalance(group);
      member.stopped = Promise.all([...member.inFlight]).then(() => undefined);
    }
    return member.stopped;
  }

  private markDirty(cursor: GroupCursor): void {
    this.dirty.add(cursor);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const cursors = [...this.dirty];
    this.dirty.clear();
    for (const cursor of cursors) this.dispatch(cursor);
  }

  /** Starts the next batch of `cursor` if its partition is owned, idle and has new records. */
  private dispatch(cursor: GroupCursor): void {
    const owner = cursor.owner;
    if (cursor.removed || cursor.inFlight || !owner || owner.stopped) return;
    const log = cursor.log;
    if (cursor.position < log.startOffset) cursor.position = log.startOffset;
    const from = cursor.position - log.startOffset;
    if (from >= log.records.length) return;
    const batch = log.records.slice(from, from + this.maxBatchRecords);
    const run = this.runBatch(cursor, owner, batch);
    cursor.inFlight = run;
    owner.inFlight.add(run);
    void run.finally(() => {
      cursor.inFlight = undefined;
      owner.inFlight.delete(run);
      this.markDirty(cursor);
    });
  }

  private async runBatch(cursor: GroupCursor, owner: Member, batch: BusRecord[]): Promise<void> {
    const start = cursor.position;
    try {
      const done = await runBatch(batch, {
        handler: owner.handler,
        policy: owner.policy,
        publish: (topic, records) => this.publish(topic, records),
        markDone: noop,
        signal: owner.abort.signal,
        counters: this.counters,
        events: owner.events,
        logger: this.logger,
      });
      if (done > 0) {
        cursor.committed = start + done;
        cursor.position = cursor.committed;
      }
    } catch (err) {
      // The runner only throws on a bug (handler failures are its job): log, redeliver later.
      this.logger?.error(
        { err, topic: cursor.topic, partition: cursor.partition },
        'in-memory consumer failed; redelivering',
      );
      await new Promise((resolve) => setTimeout(resolve, REDELIVER_AFTER_FAILURE_MS));
    }
  }

  private endOffset(log: PartitionLog): number {
    return log.startOffset + log.records.length;
  }

  private applyRetention(log: PartitionLog): void {
    // Trim in chunks of a quarter so the splice cost is amortised over many publishes.
    const excess = log.records.length - this.retentionRecords;
    if (excess < Math.max(1, this.retentionRecords / 4)) return;
    log.records.splice(0, excess);
    log.startOffset += excess;
  }
}

function noop(): void {}
