import type { BusRecord, MessageBus } from '@roomcast/bus';
import { ChatAcceptedV1, ChatRejectedV1, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import type { RecentMessages } from '@roomcast/sequencer';
import {
  ConsumerMetrics,
  consumerLifecycle,
  decodeBatch,
  MetricsRegistry,
  publishDeliveries,
  type DecodedRecord,
  type RoutedDelivery,
  type ServiceApp,
} from '@roomcast/service-kit';

export interface NotificationDeps {
  bus: MessageBus;
  presence: PresenceStore;
  /** Each accepted message is written here before it is routed (the gateways' catch-up source). */
  recent: RecentMessages;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  metrics?: MetricsRegistry;
}

export type NotificationApp = ServiceApp;

/**
 * notification: routes each accepted message to the delivery topic of every gateway that has
 * viewers in its room (Redis room -> gateways), and each rejection only to the gateway that owns
 * the sender (Redis user -> gateway). One presence round trip per batch and kind, one publish per
 * batch (every gateway's records in the same produce request).
 *
 * Accepted messages are first appended to the recent-message cache, THEN routed: a gateway that
 * registers a room and then reads the cache (a resuming viewer) finds every message it will not
 * get live, because any message routed without it was cached before (docs/architecture.md).
 */
export function createNotificationApp(deps: NotificationDeps): NotificationApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const routed = metrics.counter(
    'roomcast_notification_deliveries_total',
    'records written to gateway delivery topics',
  );
  const cached = metrics.counter(
    'roomcast_notification_cached_total',
    'accepted messages appended to the recent-message cache (replays included)',
  );
  const unrouted = metrics.counter(
    'roomcast_notification_unrouted_total',
    'messages with no gateway to deliver to',
  );

  // A batch is one partition of one topic; split by topic all the same (cheap, and no handler
  // should depend on how an adapter batches).
  async function handle(records: BusRecord[]): Promise<void> {
    const accepted = records.filter((r) => r.topic === deps.topics.chatAccepted);
    const rejected =
      accepted.length === records.length ? [] : records.filter((r) => r.topic !== deps.topics.chatAccepted);
    await Promise.all([
      accepted.length > 0
        ? decodeBatch('notification.route', ChatAcceptedV1, accepted, routeAccepted)
        : undefined,
      rejected.length > 0
        ? decodeBatch('notification.route', ChatRejectedV1, rejected, routeRejected)
        : undefined,
    ]);
  }

  /** Every gateway with viewers in the room gets the message (one presence round trip per batch). */
  async function routeAccepted(batch: DecodedRecord<ChatAcceptedV1>[]): Promise<void> {
    await deps.recent.append(batch.map(({ event }) => ({ roomId: event.roomId, seq: event.seq, data: JSON.stringify(event) })));
    cached.inc(batch.length);
    const roomGateways = await deps.presence.getRoomGateways([...new Set(batch.map((a) => a.event.roomId))]);
    const deliveries: RoutedDelivery[] = [];
    let records = 0;
    for (const { event, span, context } of batch) {
      const gatewayIds = roomGateways.get(event.roomId) ?? [];
      span.setAttribute('roomcast.gateways', gatewayIds.length);
      if (gatewayIds.length === 0) {
        unrouted.inc();
        continue;
      }
      deliveries.push({ event: { kind: 'room.message', message: event }, context, gatewayIds });
      records += gatewayIds.length;
    }
    await publishDeliveries(deps.bus, deps.topics, deliveries);
    routed.inc(records);
  }

  /**
   * A rejection goes only to the gateway that owns the sender — and is kept for the sender first
   * (user notices), so one who is between gateways (or offline) gets it at the next connect.
   */
  async function routeRejected(batch: DecodedRecord<ChatRejectedV1>[]): Promise<void> {
    await deps.recent.appendUserNotices(batch.map(({ event }) => ({ userId: event.userId, data: JSON.stringify(event) })));
    const userGateways = await Promise.all(batch.map((r) => deps.presence.getUserGateway(r.event.userId)));
    const deliveries: RoutedDelivery[] = [];
    batch.forEach(({ event, context }, i) => {
      const gatewayId = userGateways[i];
      if (!gatewayId) {
        unrouted.inc();
        return;
      }
      deliveries.push({
        event: { kind: 'user.rejected', rejected: event },
        context,
        gatewayIds: [gatewayId],
      });
    });
    await publishDeliveries(deps.bus, deps.topics, deliveries);
    routed.inc(deliveries.length);
  }

  const consumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.chatAccepted }, { name: deps.topics.chatRejected }],
    {
      groupId: deps.groupId,
      topics: [deps.topics.chatAccepted, deps.topics.chatRejected],
      fromBeginning: true,
      handler: handle,
    },
    new ConsumerMetrics({ metrics, service: 'notification', logger: deps.logger }),
  );
  return {
    metrics,
    readiness: {
      bus: () => deps.bus.healthy(),
      presence: () => deps.presence.healthy(),
      consuming: consumer.consuming,
    },
    start: consumer.start,
    stop: consumer.stop,
  };
}
