import type { z } from 'zod';
import { ChatAcceptedV1, ChatIngestedV1, ChatRejectedV1, ChatSubmittedV1, GatewayDeliveryV1 } from './events';
import { ModerationEventV1 } from './moderation';

export interface TopicSpec<S extends z.ZodType = z.ZodType> {
  name: string;
  /** What the record key is. Every room-scoped topic is keyed by roomId so one room stays in order. */
  key: 'roomId';
  schema: S;
  producer: string;
  consumers: readonly string[];
}

/** Topic catalog. Names follow `<domain>.<entity>.<event>.v<N>`. */
export const TOPICS = {
  chatSubmitted: {
    name: 'chat.message.submitted.v1',
    key: 'roomId',
    schema: ChatSubmittedV1,
    producer: 'gateway',
    consumers: ['chat-ingest'],
  },
  chatIngested: {
    name: 'chat.message.ingested.v1',
    key: 'roomId',
    schema: ChatIngestedV1,
    producer: 'chat-ingest',
    consumers: ['filter'],
  },
  chatAccepted: {
    name: 'chat.message.accepted.v1',
    key: 'roomId',
    schema: ChatAcceptedV1,
    producer: 'filter',
    consumers: ['persistence', 'notification'],
  },
  chatRejected: {
    name: 'chat.message.rejected.v1',
    key: 'roomId',
    schema: ChatRejectedV1,
    producer: 'filter',
    consumers: ['notification'],
  },
  moderation: {
    name: 'room.moderation.applied.v1',
    key: 'roomId',
    schema: ModerationEventV1,
    producer: 'gateway (moderate frames, moderation API), filter (room words)',
    consumers: ['gateway', 'chat-ingest', 'notification', 'persistence'],
  },
} as const satisfies Record<string, TopicSpec>;

/** A topic of the catalog: `chatSubmitted`, `chatIngested`, `chatAccepted`, `chatRejected`, `moderation`. */
export type TopicId = keyof typeof TOPICS;

/** The event type a catalog topic carries. */
export type TopicEvent<K extends TopicId> = z.infer<(typeof TOPICS)[K]['schema']>;

/** The record key of `event` on catalog topic `id`: the field the catalog's `key` names. */
export function topicKey<K extends TopicId>(id: K, event: TopicEvent<K>): string {
  const field: TopicSpec['key'] = TOPICS[id].key;
  return event[field];
}

/**
 * The record key of a delivery (`delivery.gateway.<gatewayId>.v1`): the room id of the message or
 * rejection it carries, like every room-scoped topic, so one room's deliveries stay in order.
 */
export function deliveryKey(delivery: GatewayDeliveryV1): string {
  switch (delivery.kind) {
    case 'room.message':
      return delivery.message.roomId;
    case 'user.rejected':
      return delivery.rejected.roomId;
    case 'room.deleted':
      return delivery.roomId;
    case 'user.mention':
      return delivery.message.roomId;
  }
}

/** Records a handler could not process go to `<topic>.dlq`, with the error code in headers. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Header names used on every record. */
export const HEADERS = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  errorCode: 'x-error-code',
  errorMessage: 'x-error-message',
  sourceTopic: 'x-source-topic',
  sourcePartition: 'x-source-partition',
  sourceOffset: 'x-source-offset',
} as const;

/**
 * Each gateway owns one delivery topic: `delivery.gateway.<gatewayId>.v1`, one partition per
 * room-key hash, consumed only by that gateway. See docs/architecture.md for the trade-off.
 */
export function deliveryTopic(gatewayId: string): string {
  return `delivery.gateway.${gatewayId}.v1`;
}
export const DELIVERY_SCHEMA = GatewayDeliveryV1;

/** Gateway ids appear in topic names, so they are restricted to Kafka's topic alphabet. */
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9_-]{1,48}$/;

/** Topic names as one deployment sees them. */
export interface TopicNames {
  chatSubmitted: string;
  chatIngested: string;
  chatAccepted: string;
  chatRejected: string;
  moderation: string;
  /** The delivery topic of one gateway. */
  delivery(gatewayId: string): string;
}

/**
 * Applies a deployment's topic prefix (`KAFKA_TOPIC_PREFIX`, empty by default) to the catalog.
 * A prefix lets several deployments — or several test runs — share one Kafka cluster.
 */
export function resolveTopics(prefix = ''): TopicNames {
  return {
    chatSubmitted: prefix + TOPICS.chatSubmitted.name,
    chatIngested: prefix + TOPICS.chatIngested.name,
    chatAccepted: prefix + TOPICS.chatAccepted.name,
    chatRejected: prefix + TOPICS.chatRejected.name,
    moderation: prefix + TOPICS.moderation.name,
    delivery: (gatewayId) => prefix + deliveryTopic(gatewayId),
  };
}
