import type { Router } from 'express';
import type { BusRecord, MessageBus, Subscription } from '@roomcast/bus';
import { ChatAcceptedV1, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import { MetricsRegistry, processRecord } from '@roomcast/service-kit';
import type { MessageStore } from '@roomcast/store';
import { historyRouter } from './history';

export interface PersistenceDeps {
  bus: MessageBus;
  store: MessageStore;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  metrics?: MetricsRegistry;
}

export interface PersistenceApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  router: Router;
  readiness: Record<string, () => Promise<boolean> | boolean>;
  metrics: MetricsRegistry;
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
  let subscription: Subscription | undefined;

  async function handle(records: BusRecord[]): Promise<void> {
    const messages: ChatAcceptedV1[] = [];
    for (const record of records) {
      await processRecord('persistence.decode', ChatAcceptedV1, record, async (m) => {
        messages.push(m);
      });
    }
    const r = await deps.store.insertMany(messages);
    stored.inc(r.inserted);
    dupes.inc(r.duplicates);
  }

  return {
    metrics,
    router: historyRouter(deps.store),
    readiness: {
      bus: () => deps.bus.healthy(),
      store: () => deps.store.healthy(),
      consuming: () => subscription !== undefined,
    },
    async start() {
      await deps.store.init();
      await deps.bus.ensureTopics([{ name: deps.topics.chatAccepted }]);
      const sub = await deps.bus.subscribe({ groupId: deps.groupId, topics: [deps.topics.chatAccepted], fromBeginning: true, handler: handle });
      await sub.ready;
      subscription = sub;
    },
    async stop() {
      const sub = subscription;
      subscription = undefined;
      await sub?.stop();
    },
  };
}
