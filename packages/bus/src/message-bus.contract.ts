import { dlqTopic, HEADERS } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { getTracer, traceIdOf, withSpan } from '@roomcast/telemetry';
import { installInMemoryTracing } from '@roomcast/telemetry/sdk';
import { uniqueId, waitFor } from '@roomcast/testing';
import type { BatchHandler, BusRecord, MessageBus, PartitionLag, SubscribeOptions, Subscription } from './message-bus';
import { partitionForKey } from './partitioner';
import { headerValue } from './record-headers';

export interface MessageBusContractContext {
  bus: MessageBus;
  /** Prepended to every topic the suite creates. */
  topicPrefix: string;
  /** Closes the bus and whatever the factory opened. */
  cleanup(): Promise<void>;
}

/** Generous: the real broker needs a rebalance or two on a busy 2-core box. */
const WAIT_MS = 45_000;
const TEST_TIMEOUT_MS = 90_000;
const PARTITIONS = 4;

/**
 * The one behaviour suite every `MessageBus` twin must pass (centrifuge style: the memory twin
 * is only trustworthy because the Kafka adapter passes the same tests).
 */
export function describeMessageBusContract(
  name: string,
  factory: () => Promise<MessageBusContractContext>,
): void {
  describe(`MessageBus contract: ${name}`, () => {
    const tracing = installInMemoryTracing();
    let ctx: MessageBusContractContext;
    let bus: MessageBus;
    let topics: string[];
    let subscriptions: Subscription[];

    beforeEach(async () => {
      ctx = await factory();
      bus = ctx.bus;
      topics = [];
      subscriptions = [];
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await bus.deleteTopics(topics);
      await ctx.cleanup();
    });

    afterAll(() => tracing.shutdown());

    /** A fresh topic with PARTITIONS partitions, plus its DLQ, deleted after the test. */
    async function freshTopic(): Promise<string> {
      const topic = `${ctx.topicPrefix}${uniqueId('bus')}.v1`;
      topics.push(topic, dlqTopic(topic));
      await bus.ensureTopics([
        { name: topic, partitions: PARTITIONS },
        { name: dlqTopic(topic), partitions: PARTITIONS },
      ]);
      return topic;
    }

    /** Subscribes, records everything the handler is given, waits until ready. */
    async function consume(
      topic: string,
      options: Partial<SubscribeOptions> & { groupId?: string } = {},
    ): Promise<{ records: BusRecord[]; sub: Subscription }> {
      const records: BusRecord[] = [];
      const inner = options.handler;
      const handler: BatchHandler = async (batch) => {
        if (inner) await inner(batch);
        records.push(...batch);
      };
      const sub = await bus.subscribe({
        topics: [topic],
        fromBeginning: true,
        ...options,
        groupId: options.groupId ?? uniqueId('group'),
        handler,
      });
      subscriptions.push(sub);
      await sub.ready;
      return { records, sub };
    }

    const text = (r: BusRecord): string => r.value.toString();
    const until = (what: string, fn: () => boolean): Promise<true> =>
      waitFor(() => fn() || undefined, what, WAIT_MS);

    it(
      'delivers a record with its key, value, headers and the partition Kafka would pick',
      async () => {
        const topic = await freshTopic();
        const { records } = await consume(topic);
        const before = Date.now();
        await bus.publish(topic, [
          { key: 'room-1', value: Buffer.from('hello'), headers: { 'x-app': 'a1' } },
        ]);
        await until('one record', () => records.length === 1);
        const [record] = records;
        expect(record).toMatchObject({
          topic,
          key: 'room-1',
          offset: '0',
          partition: partitionForKey('room-1', PARTITIONS),
        });
        expect(record?.value).toEqual(Buffer.from('hello'));
        expect(headerValue(record?.headers['x-app'])).toBe('a1');
        expect(record?.timestamp).toBeGreaterThanOrEqual(before - 1_000);
        expect(bus.stats().published).toBeGreaterThanOrEqual(1);
        expect(bus.stats().consumed).toBeGreaterThanOrEqual(1);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'adds the active trace context as traceparent unless the record carries one',
      async () => {
        const topic = await freshTopic();
        const { records } = await consume(topic);
        const own = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
        let traceId = '';
        await withSpan(getTracer('bus-contract'), 'send', {}, async (span) => {
          traceId = span.spanContext().traceId;
          await bus.publish(topic, [
            { key: 'room-1', value: 'traced' },
            { key: 'room-1', value: 'forwarded', headers: { [HEADERS.traceparent]: own } },
          ]);
        });
        await bus.publish(topic, [{ key: 'room-1', value: 'untraced' }]);
        await until('three records', () => records.length === 3);
        const byText = new Map(records.map((r) => [text(r), headerValue(r.headers[HEADERS.traceparent])]));
        expect(traceIdOf(byText.get('traced'))).toBe(traceId);
        expect(byText.get('forwarded')).toBe(own);
        expect(byText.get('untraced')).toBeUndefined();
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'keeps per-key order across many records and partitions',
      async () => {
        const topic = await freshTopic();
        const { records } = await consume(topic);
        const keys = Array.from({ length: 16 }, (_, i) => `room-${i}`);
        const perCall = 5;
        const calls: Promise<void>[] = [];
        // Not awaited one by one: calls made in one tick are coalesced and must keep their order.
        for (let seq = 0; seq < 40; seq += perCall) {
          calls.push(
            bus.publish(
              topic,
              keys.flatMap((key) =>
                Array.from({ length: perCall }, (_, i) => ({ key, value: `${key}:${seq + i}` })),
              ),
            ),
          );
        }
        await Promise.all(calls);
        await until('640 records', () => records.length >= 640);
        expect(records).toHaveLength(640);
        const lastSeq = new Map<string, number>();
        for (const r of records) {
          const seq = Number(text(r).split(':')[1]);
          expect(seq).toBe((lastSeq.get(r.key) ?? -1) + 1);
          lastSeq.set(r.key, seq);
        }
        expect(new Set(records.map((r) => r.partition)).size).toBe(PARTITIONS);
        const lastOffset = new Map<number, number>();
        for (const r of records) {
          expect(Number(r.offset)).toBeGreaterThan(lastOffset.get(r.partition) ?? -1);
          lastOffset.set(r.partition, Number(r.offset));
        }
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'splits partitions between members of one group, each record seen exactly once',
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        const a = await consume(topic, { groupId });
        const b = await consume(topic, { groupId });
        await bus.publish(
          topic,
          keysOnEveryPartition().flatMap((key) =>
            Array.from({ length: 25 }, (_, i) => ({ key, value: `${key}:${i}` })),
          ),
        );
        const total = PARTITIONS * 25;
        await until(`${total} records in the group`, () => a.records.length + b.records.length >= total);
        const all = [...a.records, ...b.records];
        expect(new Set(all.map((r) => `${r.partition}/${r.offset}`)).size).toBe(total);
        expect(all).toHaveLength(total);
        expect(a.records.length).toBeGreaterThan(0);
        expect(b.records.length).toBeGreaterThan(0);
        const partitionsOfA = new Set(a.records.map((r) => r.partition));
        expect(b.records.some((r) => partitionsOfA.has(r.partition))).toBe(false);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'gives every group all records',
      async () => {
        const topic = await freshTopic();
        const one = await consume(topic);
        const two = await consume(topic);
        await bus.publish(
          topic,
          keysOnEveryPartition().map((key) => ({ key, value: key })),
        );
        await until(
          'both groups complete',
          () => one.records.length >= PARTITIONS && two.records.length >= PARTITIONS,
        );
        expect(one.records.map(text).sort()).toEqual(two.records.map(text).sort());
        expect(one.records).toHaveLength(PARTITIONS);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'resumes a group after its last committed record: nothing lost, nothing repeated',
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        const keys = keysOnEveryPartition();
        const batch = (round: number): { key: string; value: string }[] =>
          keys.flatMap((key) => [0, 1].map((i) => ({ key, value: `${round}:${key}:${i}` })));
        const first = await consume(topic, { groupId });
        await bus.publish(topic, batch(1));
        await until('first round', () => first.records.length >= batch(1).length);
        await first.sub.stop();
        // Published while the group has no member: must wait for the next one.
        await bus.publish(topic, batch(2));
        const second = await consume(topic, { groupId, fromBeginning: false });
        await until('second round', () => second.records.length >= batch(2).length);
        expect(second.records.map(text).sort()).toEqual(
          batch(2)
            .map((r) => r.value)
            .sort(),
        );
        expect(first.records.map(text).sort()).toEqual(
          batch(1)
            .map((r) => r.value)
            .sort(),
        );
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'commits the batch in flight when stopped during it, before leaving the group; not live from stop()',
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        const values = [0, 1, 2].map((i) => `r:${i}`);
        // stop() is called while the handler of the last record is running, so the commit of
        // that batch has to happen inside stop(), not some time after the handler.
        let stopping: Promise<void> | undefined;
        const first: { sub?: Subscription } = {};
        const seen: string[] = [];
        first.sub = (
          await consume(topic, {
            groupId,
            handler: async (batch) => {
              seen.push(...batch.map(text));
              if (seen.length >= values.length) stopping ??= first.sub?.stop();
            },
          })
        ).sub;
        expect(first.sub.live()).toBe(true);
        await bus.publish(
          topic,
          values.map((value) => ({ key: 'room-1', value })),
        );
        await until('the stop during the last batch', () => stopping !== undefined);
        // Not live from the moment stop() is called (readiness drops before the group is left).
        expect(first.sub.live()).toBe(false);
        await stopping;
        expect(seen).toEqual(values);
        await bus.publish(topic, [{ key: 'room-1', value: 'after' }]);
        const next = await consume(topic, { groupId, fromBeginning: true });
        await until('the record after the stop', () => next.records.length >= 1);
        expect(next.records.map(text)).toEqual(['after']);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'starts a new group at the end unless fromBeginning',
      async () => {
        const topic = await freshTopic();
        await bus.publish(
          topic,
          [0, 1, 2].map((i) => ({ key: 'room-1', value: `old-${i}` })),
        );
        const latest = await consume(topic, { fromBeginning: false });
        const earliest = await consume(topic, { fromBeginning: true });
        await bus.publish(
          topic,
          [0, 1].map((i) => ({ key: 'room-1', value: `new-${i}` })),
        );
        await until('new records', () => latest.records.length >= 2 && earliest.records.length >= 5);
        // One key = one partition, so skipped old records would have arrived first.
        expect(latest.records.map(text)).toEqual(['new-0', 'new-1']);
        expect(earliest.records.map(text)).toEqual(['old-0', 'old-1', 'old-2', 'new-0', 'new-1']);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'resolves publish only once the records are in the log',
      async () => {
        const topic = await freshTopic();
        const keys = keysOnEveryPartition();
        // Many calls in one tick: one coalesced send; every promise waits for it.
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            bus.publish(topic, [{ key: keys[i % keys.length] ?? 'k', value: `before-${i}` }]),
          ),
        );
        const latest = await consume(topic, { fromBeginning: false });
        await bus.publish(
          topic,
          keys.map((key) => ({ key, value: `after-${key}` })),
        );
        await until('records after the subscription', () => latest.records.length >= keys.length);
        expect(latest.records.map(text).sort()).toEqual(keys.map((k) => `after-${k}`).sort());
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "reports a group's lag per partition: committed offset against the high watermark",
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        let holding = false;
        let release: (() => void) | undefined;
        const { records } = await consume(topic, {
          groupId,
          handler: async () => {
            if (holding) await new Promise<void>((resolve) => (release = resolve));
          },
        });
        const p = partitionForKey('room-1', PARTITIONS);
        const lagOf = async (): Promise<PartitionLag | undefined> =>
          (await bus.consumerLag(groupId, [topic])).find((l) => l.partition === p);
        const lagBecomes = (what: string, want: Partial<PartitionLag>): Promise<true> =>
          waitFor(
            async () => {
              const l = await lagOf();
              return (l !== undefined && Object.entries(want).every(([k, v]) => l[k as keyof PartitionLag] === v)) || undefined;
            },
            what,
            WAIT_MS,
          );

        await bus.publish(topic, [0, 1, 2].map((i) => ({ key: 'room-1', value: `a${i}` })));
        await until('three handled', () => records.length >= 3);
        // Kafka commits in the background, within about KAFKA_COMMIT_INTERVAL_MS.
        await lagBecomes('offset 3 committed', { committedOffset: 3 });
        expect(await bus.consumerLag(groupId, [topic, `${topic}.missing`])).toEqual(
          Array.from({ length: PARTITIONS }, (_, partition) =>
            partition === p
              ? { topic, partition, committedOffset: 3, highWatermark: 3, lag: 0 }
              : { topic, partition, committedOffset: null, highWatermark: 0, lag: 0 },
          ),
        );

        holding = true;
        await bus.publish(topic, [0, 1].map((i) => ({ key: 'room-1', value: `b${i}` })));
        await until('the handler holding the next batch', () => release !== undefined);
        await lagBecomes('a lag of 2 while the batch is held', { highWatermark: 5 });
        expect(await lagOf()).toEqual({ topic, partition: p, committedOffset: 3, highWatermark: 5, lag: 2 });

        holding = false;
        release?.();
        await lagBecomes('the lag back to 0', { committedOffset: 5, lag: 0 });
        // A group that never committed on the topic: no lag to report, every partition listed.
        const none = await bus.consumerLag(uniqueId('group'), [topic]);
        expect(none.map((l) => [l.partition, l.committedOffset, l.lag])).toEqual(
          Array.from({ length: PARTITIONS }, (_, partition) => [partition, null, 0]),
        );
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'retries a retriable handler failure, then delivers the record again',
      async () => {
        const topic = await freshTopic();
        const seen: string[] = [];
        const retries: [string, string][] = [];
        let failures = 0;
        const { records } = await consume(topic, {
          retryBaseMs: 10,
          maxRetries: 3,
          events: { retry: (t, code) => retries.push([t, code]) },
          handler: async (batch) => {
            seen.push(...batch.map(text));
            if (failures === 0) {
              failures += 1;
              throw new AppError('STORE_UNAVAILABLE', 'store is down');
            }
          },
        });
        await bus.publish(
          topic,
          [0, 1, 2].map((i) => ({ key: 'room-1', value: `r${i}` })),
        );
        await until('all three handled', () => records.length >= 3);
        expect(records.map(text)).toEqual(['r0', 'r1', 'r2']);
        expect(seen.filter((v) => v === 'r0')).toHaveLength(2);
        expect(bus.stats().retried).toBe(1);
        expect(retries).toEqual([[topic, 'STORE_UNAVAILABLE']]);
        expect(bus.stats().deadLettered).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'retries a retriable failure past maxRetries, capped at retryMaxBackoffMs, until it succeeds',
      async () => {
        const topic = await freshTopic();
        let failures = 0;
        const { records } = await consume(topic, {
          maxRetries: 1,
          // Uncapped, six retries from 1 s would sleep about a minute; capped, about 0.1 s.
          retryBaseMs: 1_000,
          retryMaxBackoffMs: 20,
          handler: async () => {
            if (failures < 6) {
              failures += 1;
              throw new AppError('STORE_UNAVAILABLE', 'store is down');
            }
          },
        });
        const started = Date.now();
        await bus.publish(topic, [{ key: 'room-1', value: 'r0' }]);
        await until('the record once the store is back', () => records.length >= 1);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(records.map(text)).toEqual(['r0']);
        expect(failures).toBe(6);
        expect(bus.stats().retried).toBe(6);
        expect(bus.stats().deadLettered).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'dead-letters only the record that fails non-retriably, with the error in its headers',
      async () => {
        const topic = await freshTopic();
        const letters: [string, string][] = [];
        const { records } = await consume(topic, {
          retryBaseMs: 10,
          events: { deadLettered: (record, code) => letters.push([text(record), code]) },
          handler: async (batch) => {
            if (batch.some((r) => text(r) === 'poison')) throw new AppError('BAD_EVENT', 'not a chat event');
          },
        });
        const dlq = await consume(dlqTopic(topic));
        await bus.publish(
          topic,
          ['ok-1', 'poison', 'ok-2'].map((value) => ({ key: 'room-1', value, headers: { 'x-app': 'a1' } })),
        );
        await until('good records and one dead letter', () => records.length >= 2 && dlq.records.length >= 1);
        expect(records.map(text)).toEqual(['ok-1', 'ok-2']);
        expect(dlq.records).toHaveLength(1);
        const [letter] = dlq.records;
        expect(letter).toMatchObject({ topic: dlqTopic(topic), key: 'room-1' });
        expect(letter && text(letter)).toBe('poison');
        const header = (name: string): string | undefined => headerValue(letter?.headers[name]);
        expect(header(HEADERS.errorCode)).toBe('BAD_EVENT');
        expect(header(HEADERS.errorMessage)).toBe('not a chat event');
        expect(header(HEADERS.sourceTopic)).toBe(topic);
        expect(header(HEADERS.sourcePartition)).toBe(String(partitionForKey('room-1', PARTITIONS)));
        expect(header(HEADERS.sourceOffset)).toBe('1');
        expect(header('x-app')).toBe('a1');
        expect(bus.stats().deadLettered).toBe(1);
        expect(bus.stats().retried).toBe(0);
        expect(letters).toEqual([['poison', 'BAD_EVENT']]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'dead-letters a record whose unknown error outlasts its retries as HANDLER_FAILED',
      async () => {
        const topic = await freshTopic();
        let calls = 0;
        await consume(topic, {
          retryBaseMs: 5,
          maxRetries: 2,
          handler: async () => {
            calls += 1;
            throw new Error('boom');
          },
        });
        const dlq = await consume(dlqTopic(topic));
        await bus.publish(topic, [{ key: 'room-1', value: 'bad' }]);
        await until('a dead letter', () => dlq.records.length >= 1);
        expect(headerValue(dlq.records[0]?.headers[HEADERS.errorCode])).toBe('HANDLER_FAILED');
        expect(headerValue(dlq.records[0]?.headers[HEADERS.errorMessage])).toBe('boom');
        expect(calls).toBe(3);
        expect(bus.stats().retried).toBe(2);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'stops promptly while a batch is backing off, leaving all of it to the next member',
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        const values = ['stuck-0', 'stuck-1', 'stuck-2'];
        let calls = 0;
        const { sub } = await consume(topic, {
          groupId,
          retryBaseMs: 60_000,
          retryMaxBackoffMs: 60_000,
          handler: async () => {
            calls += 1;
            throw new AppError('STORE_UNAVAILABLE', 'store is down');
          },
        });
        await bus.publish(
          topic,
          values.map((value) => ({ key: 'room-1', value })),
        );
        await until('first attempt', () => calls >= 1);
        const started = Date.now();
        await sub.stop();
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(calls).toBe(1);
        expect(bus.stats().deadLettered).toBe(0);

        const next = await consume(topic, { groupId });
        await until('the batch that was backing off', () => next.records.length >= values.length);
        expect(next.records.map(text)).toEqual(values);
      },
      TEST_TIMEOUT_MS,
    );

    // At-least-once when a member stops mid-batch: what it finished (handled or dead-lettered) is
    // committed, and everything after is delivered to the next member of the group — nothing
    // committed before its handler resolved, and no batch committed whole after a partial run.
    it(
      'leaves the record in backoff, and what follows it, to the next member when stopped',
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        const dlq = await consume(dlqTopic(topic));
        let storeDownCalls = 0;
        const first = await consume(topic, {
          groupId,
          retryBaseMs: 60_000,
          retryMaxBackoffMs: 60_000,
          handler: async (batch) => {
            if (batch.some((r) => text(r) === 'poison')) throw new AppError('BAD_EVENT', 'not a chat event');
            if (batch.some((r) => text(r) === 'store-down')) {
              storeDownCalls += 1;
              throw new AppError('STORE_UNAVAILABLE', 'store is down');
            }
          },
        });
        // One key, one batch: the whole batch fails (poison), then record by record: ok-0 is
        // handled, poison dead-lettered, store-down backs off for a minute, ok-3 waits behind it.
        await bus.publish(
          topic,
          ['ok-0', 'poison', 'store-down', 'ok-3'].map((value) => ({ key: 'room-1', value })),
        );
        await until('the record in backoff', () => storeDownCalls >= 1 && dlq.records.length >= 1);
        await first.sub.stop();
        expect(storeDownCalls).toBe(1);
        expect(first.records.map(text)).toEqual(['ok-0']);

        const next = await consume(topic, { groupId });
        await until('the records left over', () => next.records.length >= 2);
        expect(next.records.map(text)).toEqual(['store-down', 'ok-3']);
        expect(dlq.records.map(text)).toEqual(['poison']);
        expect(bus.stats().deadLettered).toBe(1);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'leaves the rest of a batch to the next member when stopped in the per-record phase',
      async () => {
        const topic = await freshTopic();
        const groupId = uniqueId('group');
        const values = ['ok-0', 'poison', 'last-handled', 'ok-3', 'ok-4'];
        const attempts: string[][] = [];
        let stopping: Promise<void> | undefined;
        const first: { sub?: Subscription } = {};
        first.sub = (
          await consume(topic, {
            groupId,
            handler: async (batch) => {
              attempts.push(batch.map(text));
              if (batch.some((r) => text(r) === 'poison'))
                throw new AppError('BAD_EVENT', 'not a chat event');
              // Record by record by now: stop while this one is handled (it still succeeds).
              if (batch.some((r) => text(r) === 'last-handled')) stopping ??= first.sub?.stop();
            },
          })
        ).sub;
        await bus.publish(
          topic,
          values.map((value) => ({ key: 'room-1', value })),
        );
        await until('the stop in the per-record phase', () => stopping !== undefined);
        await stopping;
        expect(attempts).toEqual([values, ['ok-0'], ['poison'], ['last-handled']]);

        const next = await consume(topic, { groupId });
        await until('the rest of the batch', () => next.records.length >= 2);
        expect(next.records.map(text)).toEqual(['ok-3', 'ok-4']);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'creates and deletes topics idempotently and reports healthy',
      async () => {
        const topic = await freshTopic();
        await bus.ensureTopics([{ name: topic, partitions: PARTITIONS }]);
        await bus.deleteTopics([`${ctx.topicPrefix}${uniqueId('never-created')}`]);
        await expect(bus.healthy()).resolves.toBe(true);
      },
      TEST_TIMEOUT_MS,
    );
  });
}

/** One key per partition (of PARTITIONS), so a test touches every partition deterministically. */
function keysOnEveryPartition(): string[] {
  const keys: string[] = [];
  const covered = new Set<number>();
  for (let i = 0; covered.size < PARTITIONS; i++) {
    const key = `room-${i}`;
    const partition = partitionForKey(key, PARTITIONS);
    if (covered.has(partition)) continue;
    covered.add(partition);
    keys.push(key);
  }
  return keys;
}
