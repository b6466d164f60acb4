import type { Router } from 'express';
import type { BusRecord, MessageBus } from '@roomcast/bus';
import { randomUUID } from 'node:crypto';
import {
  ChatSubmittedV1,
  ModerationEventV1,
  type ChatIngestedV1,
  type ChatRejectedV1,
  type TopicNames,
} from '@roomcast/contracts';
import { giftValue, type GiftEntry, type GiftLedger } from '@roomcast/live';
import type { Logger } from '@roomcast/logger';
import {
  DEFAULT_MODERATION_VIEW,
  isBanned,
  mutedUntil,
  ModerationView,
  type ModerationStore,
  type RoomModerationState,
} from '@roomcast/moderation';
import type { SubmissionDeduper } from '@roomcast/sequencer';
import {
  ConsumerMetrics,
  consumerLifecycle,
  decodeBatch,
  MetricsRegistry,
  newMessageId,
  publishEvents,
  rateLimitedCounter,
  recordSource,
  type DecodedRecord,
  type OutgoingEvent,
  type ServiceApp,
} from '@roomcast/service-kit';
import { traceFields } from '@roomcast/telemetry';
import { noticeRouter } from './notices';
import { checkSubmission } from './rules';

export interface ChatIngestDeps {
  bus: MessageBus;
  deduper: SubmissionDeduper;
  /** Mutes and bans of rooms (Redis), the gateways' too: a chat acked before a mute reached its gateway is refused here. */
  moderationStore: ModerationStore;
  logger: Logger;
  topics: TopicNames;
  groupId: string;
  dedupTtlMs: number;
  maxTextChars: number;
  /** Bearer token of the notice API (`POST /rooms/:roomId/notices`); undefined = off. */
  adminToken?: string | undefined;
  metrics?: MetricsRegistry;
  /** Gifts' combos and the room leaderboards (Redis; a twin in the embedded start): docs/live-room.md "Gifts". */
  giftLedger: GiftLedger;
  /** Price of each gift id for the leaderboard (`GIFT_VALUES`); gifts not listed are worth 1 each. */
  giftValues: ReadonlyMap<string, number>;
}

export type ChatIngestApp = ServiceApp & { router: Router };

/**
 * chat-ingest: the authoritative checks on a submitted chat message, dedup by
 * (userId, clientMsgId), and the server message id. submitted.v1 -> ingested.v1, key roomId.
 * A submission the checks refuse (e.g. whitespace-only text, or a sender muted or banned in the
 * room — the gateway refuses those too, but a chat can pass it before an action reached it) was
 * acked by the gateway already, so it goes to rejected.v1 with the reason, and notification tells
 * its sender.
 */
export function createChatIngestApp(deps: ChatIngestDeps): ChatIngestApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const ingested = metrics.counter('roomcast_ingest_ingested_total', 'messages passed to the filter');
  const duplicates = metrics.counter(
    'roomcast_ingest_duplicates_total',
    'resubmissions dropped by (userId, clientMsgId)',
  );
  const refused = metrics.counter(
    'roomcast_ingest_refused_total',
    'messages refused by the authoritative checks (each sender is told with a rejected frame)',
  );

  const gifts = metrics.counter('roomcast_ingest_gifts_total', 'gifts counted into combos and leaderboards (replays included)');

  const moderation = new ModerationView(deps.moderationStore, DEFAULT_MODERATION_VIEW);

  /**
   * The rules of each room of the batch, one read per room not cached. Fails open (logged): the
   * gateway checked already, and a Redis outage must not stop chat.
   */
  async function roomRules(batch: DecodedRecord<ChatSubmittedV1>[]): Promise<Map<string, RoomModerationState>> {
    const rooms = [...new Set(batch.map((b) => b.event.roomId))];
    const out = new Map<string, RoomModerationState>();
    await Promise.all(
      rooms.map(async (roomId) => {
        try {
          out.set(roomId, await moderation.room(roomId));
        } catch (err) {
          deps.logger.warn({ err, roomId }, 'moderation state unavailable; mutes and bans not checked here');
        }
      }),
    );
    return out;
  }

  /** Why a sender may not chat in the room now (muted, banned), or undefined. */
  function moderationProblem(event: ChatSubmittedV1, rules: RoomModerationState | undefined, now: number): string | undefined {
    if (rules === undefined) return undefined;
    if (isBanned(rules, event.userId, now)) return 'banned';
    if (mutedUntil(rules, event.userId, now) > 0) return 'muted';
    return undefined;
  }

  /**
   * Gifts passed on (new or replayed, never duplicates) go into the ledger in one script per batch;
   * each gets its `data.combo`. A replay carries the id claimed the first time, so the ledger counts
   * it once. A ledger failure fails the batch (retried like a failed publish: nothing counts twice).
   */
  async function countGifts(out: OutgoingEvent<ChatIngestedV1>[], at: number): Promise<void> {
    const entries: GiftEntry[] = [];
    const events: ChatIngestedV1[] = [];
    for (const { event } of out) {
      if (event.kind !== 'gift' || event.data === undefined || !('giftId' in event.data)) continue;
      const { giftId, count } = event.data;
      entries.push({ messageId: event.id, roomId: event.roomId, userId: event.userId, giftId, count, value: giftValue(deps.giftValues, giftId, count), at });
      events.push(event);
    }
    if (entries.length === 0) return;
    const combos = await deps.giftLedger.record(entries);
    events.forEach((event, i) => {
      const combo = combos[i];
      if (combo !== undefined && event.data !== undefined && 'giftId' in event.data) event.data = { ...event.data, combo };
    });
    gifts.inc(entries.length);
  }

  // One parse and one span per record; one Redis round trip claims the batch; one publish.
  function handle(records: BusRecord[]): Promise<void> {
    return decodeBatch('chat-ingest.check', ChatSubmittedV1, records, async (batch) => {
      const candidates: { submitted: DecodedRecord<ChatSubmittedV1>; id: string }[] = [];
      // The gateway acked these: the sender must hear why they go no further.
      const refusals: OutgoingEvent<ChatRejectedV1>[] = [];
      const rules = await roomRules(batch);
      const now = Date.now();
      for (const submitted of batch) {
        const { event, span, context } = submitted;
        const problem = checkSubmission(event, deps.maxTextChars) ?? moderationProblem(event, rules.get(event.roomId), now);
        if (problem) {
          span.setAttribute('roomcast.refused', problem);
          deps.logger.info(
            { roomId: event.roomId, userId: event.userId, clientMsgId: event.clientMsgId, problem, ...traceFields(span) },
            'submission refused',
          );
          refusals.push({
            event: {
              id: newMessageId(),
              roomId: event.roomId,
              userId: event.userId,
              clientMsgId: event.clientMsgId,
              reason: problem,
              rejectedAt: Date.now(),
            },
            context,
          });
          continue;
        }
        candidates.push({ submitted, id: newMessageId() });
      }
      if (refusals.length > 0) {
        await publishEvents(deps.bus, deps.topics, 'chatRejected', refusals);
        refused.inc(refusals.length);
      }
      if (candidates.length === 0) return;
      const claims = await deps.deduper.claim(
        candidates.map(({ submitted, id }) => ({
          userId: submitted.event.userId,
          clientMsgId: submitted.event.clientMsgId,
          candidateId: id,
          source: recordSource(submitted.record),
        })),
        deps.dedupTtlMs,
      );
      const ingestedAt = Date.now();
      const out: OutgoingEvent<ChatIngestedV1>[] = [];
      candidates.forEach(({ submitted }, i) => {
        const claim = claims[i];
        if (!claim || claim.status === 'duplicate') {
          duplicates.inc();
          submitted.span.setAttribute('roomcast.duplicate', true);
          return;
        }
        out.push({ event: { ...submitted.event, id: claim.id, ingestedAt }, context: submitted.context });
      });
      await countGifts(out, ingestedAt);
      await publishEvents(deps.bus, deps.topics, 'chatIngested', out);
      ingested.inc(out.length);
    });
  }

  // One ConsumerMetrics for both subscriptions: it owns the service's consumer metric families
  // (a second one would replace the first's lag gauge).
  const consumerMetrics = new ConsumerMetrics({ metrics, service: 'chat-ingest', logger: deps.logger });
  const consumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.chatSubmitted }, { name: deps.topics.chatIngested }, { name: deps.topics.chatRejected }],
    {
      groupId: deps.groupId,
      topics: [deps.topics.chatSubmitted],
      fromBeginning: true,
      handler: handle,
    },
    consumerMetrics,
  );
  // Every instance sees every moderation action (its own group, from now on: the past is in Redis).
  const moderationConsumer = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.moderation }],
    {
      groupId: `${deps.groupId}.moderation.${randomUUID().slice(0, 8)}`,
      topics: [deps.topics.moderation],
      fromBeginning: false,
      handler: (records) =>
        decodeBatch('chat-ingest.moderation', ModerationEventV1, records, async (batch) => {
          for (const { event } of batch) moderation.apply(event);
        }),
    },
    consumerMetrics,
  );
  const router = noticeRouter({
    bus: deps.bus,
    deduper: deps.deduper,
    topics: deps.topics,
    dedupTtlMs: deps.dedupTtlMs,
    adminToken: deps.adminToken,
    posted: metrics.counter('roomcast_ingest_notices_total', 'system notices posted'),
    rateLimited: rateLimitedCounter(metrics, 'chat-ingest', 'admin'),
  });
  return {
    metrics,
    router,
    readiness: { bus: () => deps.bus.healthy(), consuming: consumer.consuming, moderation: moderationConsumer.consuming },
    async start() {
      // Moderation first: a chat is judged only once the instance follows the actions.
      await moderationConsumer.start();
      await consumer.start();
    },
    async stop() {
      await consumer.stop();
      await moderationConsumer.stop();
    },
  };
}
