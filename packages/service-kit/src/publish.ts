import type { MessageBus, OutgoingRecord } from '@roomcast/bus';
import {
  deliveryKey,
  topicKey,
  type GatewayDeliveryV1,
  type TopicEvent,
  type TopicId,
  type TopicNames,
} from '@roomcast/contracts';
import { injectTraceHeaders, type Context } from '@roomcast/telemetry';

/** An event to publish, and the trace it belongs to (default: the active context). */
export interface OutgoingEvent<E> {
  event: E;
  /** E.g. `DecodedRecord.context`, so the record's trace continues; omitted = the active context. */
  context?: Context;
}

/** A delivery and the gateways whose delivery topics get it. */
export interface RoutedDelivery extends OutgoingEvent<GatewayDeliveryV1> {
  gatewayIds: readonly string[];
}

/**
 * Publishes events to a catalog topic (`TOPICS[id]`) as this deployment names it, keyed as the
 * catalog says (`topicKey`: the roomId), JSON-encoded, in order, in one `bus.publish` call (so in
 * one produce request with whatever else is published in the same tick). Resolves once the broker
 * has them all.
 */
export function publishEvents<K extends TopicId>(
  bus: MessageBus,
  topics: TopicNames,
  id: K,
  events: readonly OutgoingEvent<TopicEvent<K>>[],
): Promise<void> {
  return bus.publish(
    topics[id],
    events.map(({ event, context }) => outgoing(topicKey(id, event), JSON.stringify(event), context)),
  );
}

/** `publishEvents` for one event. */
export function publishEvent<K extends TopicId>(
  bus: MessageBus,
  topics: TopicNames,
  id: K,
  event: TopicEvent<K>,
  context?: Context,
): Promise<void> {
  return publishEvents(bus, topics, id, [{ event, ...(context ? { context } : {}) }]);
}

/**
 * Publishes deliveries to the delivery topics of their gateways: each delivery is encoded once
 * and its bytes go to every gateway it names, keyed by room (`deliveryKey`); one `bus.publish`
 * per gateway topic, all in the same tick, so in one produce request.
 */
export function publishDeliveries(
  bus: MessageBus,
  topics: TopicNames,
  deliveries: readonly RoutedDelivery[],
): Promise<void> {
  const byGateway = new Map<string, OutgoingRecord[]>();
  for (const { event, context, gatewayIds } of deliveries) {
    if (gatewayIds.length === 0) continue;
    const record = outgoing(deliveryKey(event), JSON.stringify(event), context);
    for (const gatewayId of gatewayIds) {
      let records = byGateway.get(gatewayId);
      if (!records) {
        records = [];
        byGateway.set(gatewayId, records);
      }
      records.push(record);
    }
  }
  return Promise.all(
    [...byGateway].map(([gatewayId, records]) => bus.publish(topics.delivery(gatewayId), records)),
  ).then(() => undefined);
}

function outgoing(key: string, value: string, context: Context | undefined): OutgoingRecord {
  // The bus adds the active context's trace headers to records without their own traceparent.
  return context ? { key, value, headers: injectTraceHeaders(context) } : { key, value };
}
