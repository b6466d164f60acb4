import type { BusRecord, MessageBus } from '@roomcast/bus';
import { ChatAcceptedV1, ChatRejectedV1, type GatewayDeliveryV1, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import { consumerLifecycle, MetricsRegistry, processRecord, type ServiceApp } from '@roomcast/service-kit';

export interface NotificationDeps {
  bus: MessageBus;
  presence: PresenceStore;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  metrics?: MetricsRegistry;
}

export type NotificationApp = ServiceApp;

/**
 * notification: routes each accepted message to the delivery topic of every gateway that has
 * viewers in its room (Redis room -> gateways), and each rejection only to the gateway that owns
 * the sender (Redis user -> gateway). One presence round trip per batch and kind.
 */
export function createNotificationApp(deps: NotificationDeps): NotificationApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const routed = metrics.counter('roomcast_notification_deliveries_total', 'records written to gateway delivery topics');
  const unrouted = metrics.counter('roomcast_notification_unrouted_total', 'messages with no gateway to deliver to');

  async function handle(records: BusRecord[]): Promise<void> {
    const accepted: { record: BusRecord; event: ChatAcceptedV1 }[] = [];
    const rejected: { record: BusRecord; event: ChatRejectedV1 }[] = [];
    for (const record of records) {
      if (record.topic === deps.topics.chatAccepted) {
        await processRecord('notification.decode', ChatAcceptedV1, record, async (event) => {
          accepted.push({ record, event });
        });
      } else {
        await processRecord('notification.decode', ChatRejectedV1, record, async (event) => {
          rejected.push({ record, event });
        });
      }
    }
    const [roomGateways, userGateways] = await Promise.all([
      accepted.length > 0 ? deps.presence.getRoomGateways([...new Set(accepted.map((a) => a.event.roomId))]) : new Map<string, string[]>(),
      Promise.all(rejected.map((r) => deps.presence.getUserGateway(r.event.userId))),
    ]);
    const sends: Promise<void>[] = [];
    for (const { record, event } of accepted) {
      const gateways = roomGateways.get(event.roomId) ?? [];
      if (gateways.length === 0) {
        unrouted.inc();
        continue;
      }
      // Encode once; the same bytes go to every gateway of the room.
      const value = JSON.stringify({ kind: 'room.message', message: event } satisfies GatewayDeliveryV1);
      sends.push(
        processRecord('notification.route', ChatAcceptedV1, record, async (_e, span) => {
          span.setAttribute('roomcast.gateways', gateways.length);
          await Promise.all(gateways.map((gw) => deps.bus.publish(deps.topics.delivery(gw), [{ key: event.roomId, value }])));
          routed.inc(gateways.length);
        }),
      );
    }
    rejected.forEach(({ record, event }, i) => {
      const gw = userGateways[i];
      if (!gw) {
        unrouted.inc();
        return;
      }
      const value = JSON.stringify({ kind: 'user.rejected', rejected: event } satisfies GatewayDeliveryV1);
      sends.push(
        processRecord('notification.route', ChatRejectedV1, record, async () => {
          await deps.bus.publish(deps.topics.delivery(gw), [{ key: event.roomId, value }]);
          routed.inc();
        }),
      );
    });
    await Promise.all(sends);
  }

  const consumer = consumerLifecycle(deps.bus, [{ name: deps.topics.chatAccepted }, { name: deps.topics.chatRejected }], {
    groupId: deps.groupId,
    topics: [deps.topics.chatAccepted, deps.topics.chatRejected],
    fromBeginning: true,
    handler: handle,
  });
  return {
    metrics,
    readiness: { bus: () => deps.bus.healthy(), presence: () => deps.presence.healthy(), consuming: consumer.consuming },
    start: consumer.start,
    stop: consumer.stop,
  };
}
