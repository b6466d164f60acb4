import type { Router } from 'express';
import { headerValue, type BusRecord, type MessageBus } from '@roomcast/bus';
import { ChatAcceptedV1, HEADERS, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import { ConsumerMetrics, consumerLifecycle, decodeBatch, MetricsRegistry, type ServiceApp } from '@roomcast/service-kit';
import type { MessageStore, StoredMessage } from '@roomcast/store';
import { parseTraceparent } from '@roomcast/telemetry';
import { historyRouter, type VerifyUserToken } from './history';

export interface PersistenceDeps {
  bus: MessageBus;
  store: MessageStore;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  /**
   * Persistence is off the delivery path: its fetches may wait for more records, so each insert
   * carries more messages and the consumer cycles less often (less CPU for the delivery path on a
   * shared box). Default: return as soon as a record is there.
   */
  fetch?: { minBytes: number; maxWaitMs: number };
  /** Checks the bearer token of history requests (the gateway's user tokens). */
  verifyToken: VerifyUserToken;
  metrics?: MetricsRegistry;
}

export type PersistenceApp = ServiceApp & { router: Router };

/**
 * The message with the trace its record belongs to (its `traceparent` header, as the filter
 * wrote it), so roomcast-trace can go from a message to its trace; as it is without one.
 */
function withTrace(event: ChatAcceptedV1, record: BusRecord): StoredMessage {
  const parent = parseTraceparent(headerValue(record.headers[HEADERS.traceparent]));
  return parent ? { ...event, traceId: parent.traceId, traceSampled: parent.sampled } : event;
}

/**
 * persistence: batch-inserts accepted messages (one insertMany per Kafka batch; duplicates are
 * skipped, not errors) and serves history. The bus commits the batch only after the insert
 * resolved, so a crash replays into an idempotent write.
 */
export function createPersistenceApp(deps: PersistenceDeps): PersistenceApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const stored = metrics.counter('roomcast_persistence_inserted_total', 'messages written');
  const dupes = metrics.counter('roomcast_persistence_duplicates_total', 'messages already stored (replays)');

  function handle(records: BusRecord[]): Promise<void> {
    return decodeBatch('persistence.store', ChatAcceptedV1, records, async (batch) => {
      const r = await deps.store.insertMany(batch.map(({ event, record }) => withTrace(event, record)));
      stored.inc(r.inserted);
      dupes.inc(r.duplicates);
    });
  }

  const consumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.chatAccepted }],
    {
      groupId: deps.groupId,
      topics: [deps.topics.chatAccepted],
      fromBeginning: true,
      handler: handle,
      ...(deps.fetch ? { fetchMinBytes: deps.fetch.minBytes, fetchMaxWaitMs: deps.fetch.maxWaitMs } : {}),
    },
    new ConsumerMetrics({ metrics, service: 'persistence', logger: deps.logger }),
  );
  return {
    metrics,
    router: historyRouter(deps.store, deps.verifyToken),
    readiness: {
      bus: () => deps.bus.healthy(),
      store: () => deps.store.healthy(),
      consuming: consumer.consuming,
    },
    async start() {
      await deps.store.init();
      await consumer.start();
    },
    stop: consumer.stop,
  };
}
