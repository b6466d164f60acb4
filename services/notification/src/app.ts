import type { BusRecord, MessageBus } from '@roomcast/bus';
import { ChatAcceptedV1, ChatRejectedV1, ModerationEventV1, noticeTargets, parseJson, type TopicNames } from '@roomcast/contracts';
import type { NewQuestion, QuestionBoard } from '@roomcast/live';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import type { RecentMessages } from '@roomcast/sequencer';
import { z } from 'zod';
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
  /**
   * Each accepted message is written here before it is routed (the gateways' catch-up source), and
   * each deleted one is turned into its tombstone here before the delete is routed.
   */
  recent: RecentMessages;
  /**
   * The rooms' Q&A boards: each accepted question (kind `question`) is added here beside the
   * recent-message cache, before it is routed (idempotent by seq, so a replayed batch adds nothing);
   * a deleted one is removed beside its tombstone.
   */
  questions?: QuestionBoard;
  logger: Logger;
  topics: TopicNames;
  /** The chat consumer's group; the moderation consumer's is `${groupId}.moderation`. */
  groupId: string;
  metrics?: MetricsRegistry;
}

export type NotificationApp = ServiceApp;

/** What notification reads of a cached message to find a reply's author. */
const CachedAuthor = z.object({ userId: z.string().min(1) });

/**
 * notification: routes each accepted message to the delivery topic of every gateway that has
 * viewers in its room (Redis room -> gateways), and each rejection only to the gateway that owns
 * the sender (Redis user -> gateway). One presence round trip per batch and kind, one publish per
 * batch (every gateway's records in the same produce request).
 *
 * Accepted messages are first appended to the recent-message cache, THEN routed: a gateway that
 * registers a room and then reads the cache (a resuming viewer) finds every message it will not
 * get live, because any message routed without it was cached before (docs/architecture.md).
 *
 * A second consumer (group `${groupId}.moderation`) reads room.moderation.applied.v1 and acts on
 * `delete` only (gateways and chat-ingest read the other kinds themselves): the cached message
 * becomes its tombstone and a question leaves the Q&A board, THEN a `room.deleted` goes to every
 * gateway with viewers in the room, on the same delivery topics and key (roomId) as the room's messages, so each gateway gets it after
 * the message it deletes. Same batching: one presence round trip, one publish.
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
    'messages (and deletes) with no gateway to deliver to',
  );
  const mentionNotices = metrics.counter(
    'roomcast_notification_mentions_total',
    'user.mention deliveries routed (mentions and replies, to the user\'s gateway)',
  );
  const unresolvedReplies = metrics.counter(
    'roomcast_notification_reply_unresolved_total',
    'replies whose replied-to message the recent cache did not hold (no live reply notice; the inbox still gets it)',
  );
  const uncachedDeletes = metrics.counter(
    'roomcast_notification_delete_uncached_total',
    'deletes of a message the recent-message cache did not hold (expired, evicted, or not cached yet)',
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
    await Promise.all([
      deps.recent.append(batch.map(({ event }) => ({ roomId: event.roomId, seq: event.seq, data: JSON.stringify(event) }))),
      addQuestions(batch),
    ]);
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
    const mentions = await mentionDeliveries(batch);
    await publishDeliveries(deps.bus, deps.topics, mentions.length === 0 ? deliveries : [...deliveries, ...mentions]);
    routed.inc(records + mentions.length);
    mentionNotices.inc(mentions.length);
  }

  /**
   * `user.mention` deliveries of a batch (docs/live-room.md): to the gateway of each user a message
   * mentions or replies to (noticeTargets: never the sender), none for a user who is offline (the
   * inbox, written by persistence, is the record). The authors of the batch's `replyTo`s come from
   * the recent cache in one round trip — it already holds this batch (appended before), and a
   * reply is to a message viewers see, i.e. a recent one; one presence lookup per distinct user.
   */
  async function mentionDeliveries(batch: DecodedRecord<ChatAcceptedV1>[]): Promise<RoutedDelivery[]> {
    const noticing = batch.filter(({ event }) => event.deleted !== true && (event.replyTo !== undefined || (event.mentions?.length ?? 0) > 0));
    if (noticing.length === 0) return [];
    const replies = noticing.filter(({ event }) => event.replyTo !== undefined);
    const cachedReplied = replies.length === 0 ? [] : await deps.recent.get(replies.map(({ event }) => ({ roomId: event.roomId, seq: event.replyTo ?? 0 })));
    const authors = new Map<DecodedRecord<ChatAcceptedV1>, string>();
    replies.forEach((r, i) => {
      const author = authorOf(cachedReplied[i]);
      if (author !== undefined) authors.set(r, author);
      else unresolvedReplies.inc();
    });
    const targets = noticing.map((r) => ({ r, users: noticeTargets(r.event, authors.get(r)) }));
    const userIds = [...new Set(targets.flatMap((t) => t.users.map((u) => u.userId)))];
    const gateways = await Promise.all(userIds.map((userId) => deps.presence.getUserGateway(userId)));
    const gatewayOf = new Map(userIds.map((userId, i) => [userId, gateways[i]]));
    const out: RoutedDelivery[] = [];
    for (const { r, users } of targets)
      for (const { userId, reason } of users) {
        const gatewayId = gatewayOf.get(userId);
        if (gatewayId) out.push({ event: { kind: 'user.mention', userId, reason, message: r.event }, context: r.context, gatewayIds: [gatewayId] });
      }
    return out;
  }

  function authorOf(data: string | undefined): string | undefined {
    if (data === undefined) return undefined;
    try {
      return parseJson(CachedAuthor, data, 'INTERNAL').userId;
    } catch (err) {
      deps.logger.warn({ err }, 'cached message without an author: no reply notice');
      return undefined;
    }
  }

  /** The batch's questions onto their rooms' boards: one write per room. */
  async function addQuestions(batch: DecodedRecord<ChatAcceptedV1>[]): Promise<void> {
    const board = deps.questions;
    if (board === undefined) return;
    const byRoom = new Map<string, NewQuestion[]>();
    for (const { event } of batch) {
      if (event.kind !== 'question' || event.deleted === true) continue;
      let list = byRoom.get(event.roomId);
      if (list === undefined) byRoom.set(event.roomId, (list = []));
      list.push({ seq: event.seq, userId: event.userId, text: event.text, at: event.acceptedAt });
    }
    await Promise.all([...byRoom].map(([roomId, questions]) => board.add(roomId, questions)));
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

  /** Deleted messages leave their rooms' Q&A boards (a no-op for a seq that is no question there). */
  async function removeQuestions(deleted: { roomId: string; seq: number }[]): Promise<void> {
    const board = deps.questions;
    if (board === undefined) return;
    await Promise.all(deleted.map(({ roomId, seq }) => board.remove(roomId, seq)));
  }

  /** Moderation events other than `delete` are for the gateways and chat-ingest: skipped here. */
  function handleModeration(records: BusRecord[]): Promise<void> {
    return decodeBatch('notification.route', ModerationEventV1, records, routeDeleted);
  }

  /**
   * Tombstones first, then the deliveries: a viewer who resumes after its gateway got `deleted`
   * reads the tombstone, never the text. If a cache write fails, nothing is routed and the batch
   * is retried (markDeleted is idempotent).
   */
  async function routeDeleted(batch: DecodedRecord<ModerationEventV1>[]): Promise<void> {
    const deletes: { record: DecodedRecord<ModerationEventV1>; seq: number }[] = [];
    for (const record of batch) if (record.event.action.kind === 'delete') deletes.push({ record, seq: record.event.action.seq });
    if (deletes.length === 0) return;
    const [found] = await Promise.all([
      Promise.all(deletes.map(({ record, seq }) => deps.recent.markDeleted(record.event.roomId, seq))),
      removeQuestions(deletes.map(({ record, seq }) => ({ roomId: record.event.roomId, seq }))),
    ]);
    uncachedDeletes.inc(found.filter((f) => !f).length);
    const roomGateways = await deps.presence.getRoomGateways([...new Set(deletes.map((d) => d.record.event.roomId))]);
    const deliveries: RoutedDelivery[] = [];
    let records = 0;
    for (const { record, seq } of deletes) {
      const { roomId } = record.event;
      const gatewayIds = roomGateways.get(roomId) ?? [];
      record.span.setAttribute('roomcast.gateways', gatewayIds.length);
      if (gatewayIds.length === 0) {
        unrouted.inc();
        continue;
      }
      deliveries.push({ event: { kind: 'room.deleted', roomId, seq }, context: record.context, gatewayIds });
      records += gatewayIds.length;
    }
    await publishDeliveries(deps.bus, deps.topics, deliveries);
    routed.inc(records);
  }

  // One ConsumerMetrics for both consumers: its series are per topic and its lag per group.
  const consumerMetrics = new ConsumerMetrics({ metrics, service: 'notification', logger: deps.logger });
  const chatConsumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.chatAccepted }, { name: deps.topics.chatRejected }],
    {
      groupId: deps.groupId,
      topics: [deps.topics.chatAccepted, deps.topics.chatRejected],
      fromBeginning: true,
      handler: handle,
    },
    consumerMetrics,
  );
  const moderationConsumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.moderation }],
    {
      groupId: `${deps.groupId}.moderation`,
      topics: [deps.topics.moderation],
      fromBeginning: true,
      handler: handleModeration,
    },
    consumerMetrics,
  );
  return {
    metrics,
    readiness: {
      bus: () => deps.bus.healthy(),
      presence: () => deps.presence.healthy(),
      consuming: () => chatConsumer.consuming() && moderationConsumer.consuming(),
    },
    async start() {
      await chatConsumer.start();
      await moderationConsumer.start();
    },
    async stop() {
      await Promise.all([chatConsumer.stop(), moderationConsumer.stop()]);
    },
  };
}
