import type { z } from 'zod';
import { ChatAcceptedV1, ChatIngestedV1, ChatRejectedV1, ChatSubmittedV1, GatewayDeliveryV1 } from './events';

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
} as const satisfies Record<string, TopicSpec>;

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
    delivery: (gatewayId) => prefix + deliveryTopic(gatewayId),
  };
}
