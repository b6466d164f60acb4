import { Router } from 'express';
import { headerValue, type BusRecord, type MessageBus, type Subscription } from '@roomcast/bus';
import {
  ChatIngestedV1,
  FILTER_DICTIONARY_GLOBAL_KEY,
  FilterDictionaryChangedV1,
  type ChatAcceptedV1,
  type ChatRejectedV1,
  type TopicNames,
} from '@roomcast/contracts';
import { isFilterError } from '@roomcast/filter-engine';
import { AppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { RoomSequencer } from '@roomcast/sequencer';
import {
  ConsumerMetrics,
  decodeBatch,
  MetricsRegistry,
  processRecord,
  rateLimitedCounter,
  publishEvents,
  type DecodedRecord,
  type OutgoingEvent,
} from '@roomcast/service-kit';
import type { DictionaryStore, ReviewStore, RoomRoleStore } from '@roomcast/store';
import { dictionaryRouter, type DictionaryOp } from './admin';
import { requireAdminToken } from './auth';
import { FilterDictionary, type BaseDictionary } from './dictionary';
import { REVIEW_APPROVED_HEADER, reviewRouter } from './review';
import { roomWordsRouter, type VerifyUserToken } from './room-words';
import { categoriesOf, rejectionReason, type WordCheckResult } from './word-check';

/** Reason a sender is told when the text is longer than the filter checks (nothing was matched). */
export const TOO_LONG_REASON = 'text-too-long';

export interface FilterTuning {
  /** Longest text checked, UTF-16 units; longer ones are rejected with TOO_LONG_REASON. */
  maxTextLength: number;
  /** How long a dictionary change waits for more before the reload starts, ms. */
  reloadDebounceMs: number;
  /** Compile global reloads in a worker thread (the event loop keeps checking meanwhile). */
  compileInWorker: boolean;
  /** How often the store's versions are polled (lost announcements), ms; 0 = never. */
  pollIntervalMs: number;
  /** Room overlays kept compiled. */
  roomCacheSize: number;
  /** How long `POST /review/:id/approve` waits to answer with the seq, ms. */
  approveWaitMs: number;
}

export const DEFAULT_FILTER_TUNING: FilterTuning = {
  maxTextLength: 2000,
  reloadDebounceMs: 200,
  compileInWorker: true,
  pollIntervalMs: 30_000,
  roomCacheSize: 1000,
  approveWaitMs: 5000,
};

export interface FilterDeps {
  bus: MessageBus;
  sequencer: RoomSequencer;
  dictionaryStore: DictionaryStore;
  reviewStore: ReviewStore;
  /** Words from env and FILTER_DICTIONARY_FILE (see loadBaseDictionary). */
  base: BaseDictionary;
  logger: Logger;
  topics: TopicNames;
  /** `filter.dictionary.changed.v1`, prefixed (resolveFilterTopics). */
  dictionaryTopic: string;
  /** The group of the message consumer; the dictionary consumer uses `${groupId}.dict.${instanceId}`. */
  groupId: string;
  /** Unique per running instance: each instance must see every dictionary change. */
  instanceId: string;
  /** Bearer token of the admin and moderator API; undefined = API off. */
  adminToken?: string | undefined;
  /**
   * Verifies the user tokens of the room words API (`/rooms/:roomId/words`, room hosts);
   * undefined = that API takes the admin token only.
   */
  verifyToken: VerifyUserToken | undefined;
  /** The room-admin store: a user's granted role in a room (host may edit the room's words). */
  roles: RoomRoleStore;
  tuning?: Partial<FilterTuning>;
  metrics?: MetricsRegistry;
}

export interface FilterApp {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Admin (`/dictionary...`) and moderator (`/review...`) routes, behind the admin token; the
   * room words API (`/rooms/:roomId/words`) for room hosts and the admin.
   */
  router: Router;
  readiness: Record<string, () => Promise<boolean> | boolean>;
  /** Extra /readyz fields: the dictionary in use (versions, sizes). */
  info: () => Record<string, unknown>;
  metrics: MetricsRegistry;
}

type Decision =
  | {
      ingested: DecodedRecord<ChatIngestedV1>;
      kind: 'accept';
      text: string;
      masked: boolean;
      fromReview: boolean;
    }
  | { ingested: DecodedRecord<ChatIngestedV1>; kind: 'reject'; reason: string };

/**
 * filter: word check, then the room sequence number for accepted messages.
 * ingested.v1 -> accepted.v1 | rejected.v1 | held for review, key roomId.
 *
 * Seq is assigned HERE, at the moment a message becomes accepted, because only accepted
 * messages may consume numbers (gapless). A room's records share one partition, so one filter
 * instance handles a room at a time, in order; the sequencer (Redis) remembers message id ->
 * seq, so a record replayed after a crash gets the same number again. An approved review item
 * comes back through the same partition (see review.ts), so it is numbered and published in
 * order with the room's other messages. See docs/filter.md.
 */
export function createFilterApp(deps: FilterDeps): FilterApp {
  const tuning: FilterTuning = { ...DEFAULT_FILTER_TUNING, ...deps.tuning };
  const metrics = deps.metrics ?? new MetricsRegistry();
  const acceptedCount = metrics.counter('roomcast_filter_accepted_total', 'messages accepted');
  const maskedCount = metrics.counter('roomcast_filter_masked_total', 'accepted messages with masked words');
  const rejectedCount = metrics.counter('roomcast_filter_rejected_total', 'messages rejected');
  const heldCount = metrics.counter('roomcast_filter_held_total', 'messages held for review');
  const approvedCount = metrics.counter('roomcast_filter_review_approved_total', 'held messages approved');
  const deniedCount = metrics.counter('roomcast_filter_review_denied_total', 'held messages denied');
  const tooLongCount = metrics.counter(
    'roomcast_filter_too_long_total',
    'messages rejected as too long to check',
  );
  const log = deps.logger;
  const consumerMetrics = new ConsumerMetrics({ metrics, service: 'filter', logger: log });
  const dictionary = new FilterDictionary({
    store: deps.dictionaryStore,
    base: deps.base,
    logger: log,
    metrics,
    maxTextLength: tuning.maxTextLength,
    reloadDebounceMs: tuning.reloadDebounceMs,
    compileInWorker: tuning.compileInWorker,
    roomCacheSize: tuning.roomCacheSize,
  });
  let subscription: Subscription | undefined;
  let dictSubscription: Subscription | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  async function check(event: ChatIngestedV1): Promise<WordCheckResult | 'too-long'> {
    const found = dictionary.checkerFor(event.roomId);
    const checker = found instanceof Promise ? await found : found;
    try {
      return checker.check(event.text);
    } catch (err) {
      if (isFilterError(err, 'TEXT_TOO_LONG')) return 'too-long';
      throw err;
    }
  }

  async function decide(ingested: DecodedRecord<ChatIngestedV1>, decisions: Decision[]): Promise<string> {
    const { record, event } = ingested;
    if (headerValue(record.headers[REVIEW_APPROVED_HEADER]) === '1') {
      const item = await deps.reviewStore.get(event.id);
      if (item?.status === 'approved') {
        // Published already: a repeated re-publish (lease expiry, replay) adds nothing.
        if (item.published) return 'approved-again';
        decisions.push({
          ingested,
          kind: 'accept',
          text: item.maskedText,
          masked: item.maskedText !== item.text,
          fromReview: true,
        });
        return 'approved';
      }
      // Not approved in the store: treat it as any other message.
    }
    const r = await check(event);
    if (r === 'too-long') {
      tooLongCount.inc();
      decisions.push({ ingested, kind: 'reject', reason: TOO_LONG_REASON });
      return 'too-long';
    }
    if (r.verdict === 'reject') {
      decisions.push({ ingested, kind: 'reject', reason: rejectionReason(r) });
    } else if (r.verdict === 'review') {
      const { held } = await deps.reviewStore.hold({
        id: event.id,
        roomId: event.roomId,
        userId: event.userId,
        clientMsgId: event.clientMsgId,
        text: event.text,
        maskedText: r.text,
        sentAt: event.sentAt,
        gatewayId: event.gatewayId,
        submittedAt: event.submittedAt,
        ingestedAt: event.ingestedAt,
        heldAt: Date.now(),
        categories: categoriesOf(r, 'review'),
        words: [...new Set(r.matches.filter((m) => m.policy === 'review').map((m) => m.word))],
      });
      if (held) heldCount.inc();
    } else {
      decisions.push({
        ingested,
        kind: 'accept',
        text: r.text,
        masked: r.verdict === 'mask',
        fromReview: false,
      });
    }
    return r.verdict;
  }

  // One parse and one span per record; one Redis round trip numbers the batch; one publish.
  function handle(records: BusRecord[]): Promise<void> {
    return decodeBatch('filter.check', ChatIngestedV1, records, async (batch) => {
      const decisions: Decision[] = [];
      for (const ingested of batch)
        ingested.span.setAttribute('roomcast.verdict', await decide(ingested, decisions));
      const accepted = decisions.filter(
        (d): d is Extract<Decision, { kind: 'accept' }> => d.kind === 'accept',
      );
      // One round trip numbers the whole batch, in offset order.
      const seqs =
        accepted.length > 0
          ? await deps.sequencer.assign(
              accepted.map((d) => ({ roomId: d.ingested.event.roomId, messageId: d.ingested.event.id })),
            )
          : [];
      const acceptedAt = Date.now();
      const acceptedOut: OutgoingEvent<ChatAcceptedV1>[] = accepted.map((d, i) => {
        const event = d.ingested.event;
        const seq = seqs[i];
        if (seq === undefined) throw new AppError('INTERNAL', `no seq assigned for ${event.id}`);
        return {
          event: {
            id: event.id,
            roomId: event.roomId,
            seq,
            userId: event.userId,
            clientMsgId: event.clientMsgId,
            text: d.text,
            masked: d.masked,
            sentAt: event.sentAt,
            acceptedAt,
            ...(event.priority === 'high' ? { priority: 'high' as const } : {}),
            // Room events beyond chat (issue #14) and chat's reply/mentions travel on unchanged.
            ...(event.kind !== undefined ? { kind: event.kind } : {}),
            ...(event.data !== undefined ? { data: event.data } : {}),
            ...(event.replyTo !== undefined ? { replyTo: event.replyTo } : {}),
            ...(event.mentions !== undefined ? { mentions: event.mentions } : {}),
          },
          context: d.ingested.context,
        };
      });
      const rejectedOut: OutgoingEvent<ChatRejectedV1>[] = [];
      for (const d of decisions) {
        if (d.kind !== 'reject') continue;
        const event = d.ingested.event;
        rejectedOut.push({
          event: {
            id: event.id,
            roomId: event.roomId,
            userId: event.userId,
            clientMsgId: event.clientMsgId,
            reason: d.reason,
            rejectedAt: acceptedAt,
          },
          context: d.ingested.context,
        });
      }
      // Both in the same tick: one produce request.
      await Promise.all([
        publishEvents(deps.bus, deps.topics, 'chatAccepted', acceptedOut),
        publishEvents(deps.bus, deps.topics, 'chatRejected', rejectedOut),
      ]);
      await Promise.all(
        accepted.map((d, i) =>
          d.fromReview ? deps.reviewStore.markPublished(d.ingested.event.id, seqs[i] as number) : undefined,
        ),
      );
      acceptedCount.inc(accepted.length);
      maskedCount.inc(accepted.filter((d) => d.masked).length);
      rejectedCount.inc(rejectedOut.length);
    });
  }

  async function onDictionaryChanged(records: BusRecord[]): Promise<void> {
    for (const record of records) {
      await processRecord('filter.dictionary.changed', FilterDictionaryChangedV1, record, async (e) => {
        dictionary.changed(e.roomId, e.version);
      });
    }
  }

  async function announce(roomId: string | null, version: number, op: DictionaryOp): Promise<void> {
    const event: FilterDictionaryChangedV1 = {
      roomId,
      version,
      op,
      instanceId: deps.instanceId,
      changedAt: Date.now(),
    };
    await deps.bus.publish(deps.dictionaryTopic, [
      { key: roomId ?? FILTER_DICTIONARY_GLOBAL_KEY, value: JSON.stringify(event) },
    ]);
  }

  const router = Router();
  router.use(['/dictionary', '/review'], requireAdminToken(deps.adminToken, rateLimitedCounter(metrics, 'filter', 'admin')));
  const adminDeps = { store: deps.dictionaryStore, dictionary, base: deps.base, announce };
  router.use(dictionaryRouter(adminDeps));
  router.use(
    roomWordsRouter({
      ...adminDeps,
      bus: deps.bus,
      topics: deps.topics,
      roles: deps.roles,
      verifyToken: deps.verifyToken,
      adminToken: deps.adminToken,
      rateLimited: rateLimitedCounter(metrics, 'filter', 'room-words'),
    }),
  );
  router.use(
    reviewRouter({
      bus: deps.bus,
      store: deps.reviewStore,
      topics: deps.topics,
      approveWaitMs: tuning.approveWaitMs,
      counters: { approved: approvedCount, denied: deniedCount },
    }),
  );

  return {
    metrics,
    router,
    info: () => ({ instanceId: deps.instanceId, dictionary: dictionary.info() }),
    readiness: {
      bus: () => deps.bus.healthy(),
      dictionaryStore: () => deps.dictionaryStore.healthy(),
      reviewStore: () => deps.reviewStore.healthy(),
      roles: () => deps.roles.healthy(),
      dictionary: () => dictionary.loaded,
      consuming: () => (subscription?.live() ?? false) && (dictSubscription?.live() ?? false),
    },
    async start() {
      await Promise.all([deps.dictionaryStore.init(), deps.reviewStore.init(), deps.roles.init()]);
      await deps.bus.ensureTopics([
        { name: deps.topics.chatIngested },
        { name: deps.topics.chatAccepted },
        { name: deps.topics.chatRejected },
        // The room words API's audit events.
        { name: deps.topics.moderation },
        // Changes are rare and tiny; one partition keeps them in order.
        { name: deps.dictionaryTopic, partitions: 1 },
      ]);
      // Listen for changes BEFORE the first load, so none falls between the load and the join.
      const dictSub = await consumerMetrics.subscribe(deps.bus, {
        groupId: `${deps.groupId}.dict.${deps.instanceId}`,
        topics: [deps.dictionaryTopic],
        fromBeginning: false,
        handler: onDictionaryChanged,
      });
      await dictSub.ready;
      dictSubscription = dictSub;
      await dictionary.init();
      if (tuning.pollIntervalMs > 0) {
        pollTimer = setInterval(() => {
          dictionary.poll().catch((err: unknown) => log.warn({ err }, 'dictionary version poll failed'));
        }, tuning.pollIntervalMs);
        pollTimer.unref();
      }
      const sub = await consumerMetrics.subscribe(deps.bus, {
        groupId: deps.groupId,
        topics: [deps.topics.chatIngested],
        fromBeginning: true,
        handler: handle,
      });
      await sub.ready;
      subscription = sub;
    },
    async stop() {
      if (pollTimer) clearInterval(pollTimer);
      const sub = subscription;
      const dictSub = dictSubscription;
      subscription = undefined;
      dictSubscription = undefined;
      await sub?.stop();
      await dictSub?.stop();
      await dictionary.stop();
    },
  };
}

export { FilterDictionary, type BaseDictionary } from './dictionary';
export { loadBaseDictionary, DEFAULT_DICTIONARY_FILE } from './dictionary-file';
export { REVIEW_APPROVED_HEADER } from './review';
export type { WordChecker, WordCheckResult, Verdict } from './word-check';
