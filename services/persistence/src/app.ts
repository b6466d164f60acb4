import { Router } from 'express';
import { headerValue, type BusRecord, type MessageBus } from '@roomcast/bus';
import { ChatAcceptedV1, HEADERS, ModerationEventV1, noticeTargets, type TopicNames } from '@roomcast/contracts';
import type { Logger } from '@roomcast/logger';
import { ConsumerMetrics, consumerLifecycle, decodeBatch, MetricsRegistry, type ServiceApp } from '@roomcast/service-kit';
import type { InboxStore, MessageStore, ModerationAuditStore, NewInboxEntry, RoomRoleStore, StoredMessage } from '@roomcast/store';
import { parseTraceparent } from '@roomcast/telemetry';
import type { ModerationStore } from '@roomcast/moderation';
import type { InboxCounters } from '@roomcast/presence';
import { historyRouter, type VerifyUserToken } from './history';
import { inboxRouter } from './inbox';
import { roomAdminRouter } from './room-admin';

export interface PersistenceDeps {
  bus: MessageBus;
  store: MessageStore;
  /** The moderation audit log: every `room.moderation.applied.v1` event, written here. */
  audit: ModerationAuditStore;
  /**
   * The inbox (MongoDB): an entry for every user an accepted message mentions or replies to,
   * written once per batch after its messages; served by `GET /inbox`, `POST /inbox/read`.
   */
  inbox: InboxStore;
  /**
   * Unread counters per user (Redis; read by the gateways at connect, so users with nothing unread
   * cost no MongoDB read): incremented by each batch's NEW inbox entries, set to the store's unread
   * count after a mark-read.
   */
  inboxCounters: InboxCounters;
  /** The room-admin store, read to authorise the audit and roles APIs (written by whoever applies set-role). */
  roles: RoomRoleStore;
  /** Bans (Redis, as the gateways read them): a user banned from a room may not read its history. */
  moderationStore: ModerationStore;
  logger: Logger;
  topics: TopicNames;
  /** Consumer group of accepted messages; moderation events are consumed as `${groupId}.moderation`. */
  groupId: string;
  /**
   * Persistence is off the delivery path: its fetches may wait for more records, so each insert
   * carries more messages and the consumer cycles less often (less CPU for the delivery path on a
   * shared box). Default: return as soon as a record is there.
   */
  fetch?: { minBytes: number; maxWaitMs: number };
  /** How long a delete waits for its message to be stored; default DELETE_WAIT_MS. */
  deleteWaitMs?: number;
  /** Checks the bearer token of history, audit and roles requests (the gateway's user tokens). */
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
 * skipped, not errors) and serves history. A second consumer (group `${groupId}.moderation`) takes
 * `room.moderation.applied.v1`: per batch, one idempotent append of every event to the audit log,
 * then a tombstone (markDeleted) for each `delete`, in history and in the inbox entries of it (and
 * an inbox write re-reads its messages, for a delete that came between). Both are at-least-once: the bus commits a batch
 * only after its handler resolved, so a crash replays into idempotent writes (the message id and
 * the event id are the `_id`s; a tombstone marked again is no change). It also serves the
 * room-admin reads: the audit log and the granted roles (moderators and hosts only).
 */
/** How long a delete waits for its message to be stored before it is counted unmatched. */
export const DELETE_WAIT_MS = 10_000;

export function createPersistenceApp(deps: PersistenceDeps): PersistenceApp {
  const metrics = deps.metrics ?? new MetricsRegistry();
  const stored = metrics.counter('roomcast_persistence_inserted_total', 'messages written');
  const dupes = metrics.counter('roomcast_persistence_duplicates_total', 'messages already stored (replays)');
  const audited = metrics.counter('roomcast_persistence_audited_total', 'moderation events newly written to the audit log');
  const inboxed = metrics.counter('roomcast_persistence_inbox_added_total', 'inbox entries newly written (mentions and replies)');
  const counterFailures = metrics.counter(
    'roomcast_persistence_inbox_counter_failures_total',
    'unread counter writes that failed (the counter stays short until the user marks read)',
  );
  const unresolvedReplies = metrics.counter(
    'roomcast_persistence_reply_unresolved_total',
    'replies to a seq with no stored message (no inbox entry for its author)',
  );
  const tombstoned = metrics.counter('roomcast_persistence_tombstoned_total', 'messages marked deleted by a moderator');
  const unmatched = metrics.counter(
    'roomcast_persistence_delete_unmatched_total',
    'delete actions that changed no stored message (a replay, or the message is not stored yet)',
  );

  function handle(records: BusRecord[]): Promise<void> {
    return decodeBatch('persistence.store', ChatAcceptedV1, records, async (batch) => {
      const r = await deps.store.insertMany(batch.map(({ event, record }) => withTrace(event, record)));
      stored.inc(r.inserted);
      dupes.inc(r.duplicates);
      const entries = await inboxEntries(batch.map(({ event }) => event));
      if (entries.length === 0) return;
      const { added, byUser } = await deps.inbox.add(entries);
      inboxed.inc(added);
      await clearDeletedEntries(entries);
      // Only the new entries: a replayed batch adds nothing. Not retried by replaying the batch (the
      // replay would find nothing new): the inbox is the record, the counter a hint.
      if (byUser.size > 0) await deps.inboxCounters.add(byUser).catch(counterFailed);
    });
  }

  /**
   * A delete handled between this batch's message write and its inbox write cleared no inbox
   * entry (there was none yet): after the inbox write, each message with entries is read again and
   * a tombstone found clears its entries. The delete clears the inbox after its tombstone, so
   * either that read sees the tombstone or the delete's clearing comes after the inbox write.
   */
  async function clearDeletedEntries(entries: NewInboxEntry[]): Promise<void> {
    const refs = new Map(entries.map((e) => [`${e.roomId} ${e.seq}`, { roomId: e.roomId, seq: e.seq }]));
    const now = await Promise.all([...refs.values()].map((ref) => deps.store.findMessage(ref)));
    for (const m of now) if (m?.deleted === true) await deps.inbox.markDeleted(m.roomId, m.seq);
  }

  function counterFailed(err: unknown): void {
    counterFailures.inc();
    deps.logger.warn({ err }, 'could not update the unread inbox counters');
  }

  /**
   * The inbox entries of a batch (noticeTargets, as notification's live notices): after the
   * batch's messages are stored, so a reply's author is found in MongoDB — the record, however
   * old the message replied to — whether it came in this batch or before (one room's messages
   * come in seq order). One lookup per distinct replied-to message, all at once.
   */
  async function inboxEntries(events: ChatAcceptedV1[]): Promise<NewInboxEntry[]> {
    const noticing = events.filter((e) => e.deleted !== true && (e.replyTo !== undefined || (e.mentions?.length ?? 0) > 0));
    if (noticing.length === 0) return [];
    // A room id has no space: `roomId seq` names a message.
    const refs = new Map<string, { roomId: string; seq: number }>();
    for (const e of noticing) if (e.replyTo !== undefined) refs.set(`${e.roomId} ${e.replyTo}`, { roomId: e.roomId, seq: e.replyTo });
    const found = await Promise.all([...refs.values()].map((ref) => deps.store.findMessage(ref)));
    const authors = new Map([...refs.keys()].map((key, i) => [key, found[i]?.userId]));
    const entries: NewInboxEntry[] = [];
    for (const e of noticing) {
      const author = e.replyTo !== undefined ? authors.get(`${e.roomId} ${e.replyTo}`) : undefined;
      if (e.replyTo !== undefined && author === undefined) unresolvedReplies.inc();
      for (const { userId, reason } of noticeTargets(e, author))
        entries.push({ userId, reason, messageId: e.id, roomId: e.roomId, seq: e.seq, fromUserId: e.userId, text: e.text, replyTo: e.replyTo, at: e.acceptedAt });
    }
    return entries;
  }

  /**
   * Marks the message deleted; when it is not stored yet — a moderator deletes a message as soon
   * as viewers see it, which can be before this service's own write of it (its accepted messages
   * come on another subscription) — waits for it, up to DELETE_WAIT_MS. The gateways refuse deletes
   * of seqs the room has not reached, so the wait is for a message on its way. Only the moderation
   * subscription waits; messages keep being stored meanwhile.
   */
  async function markDeletedWhenStored(roomId: string, seq: number): Promise<'marked' | 'tombstone' | 'absent'> {
    const deadline = Date.now() + (deps.deleteWaitMs ?? DELETE_WAIT_MS);
    for (let pause = 50; ; pause = Math.min(pause * 2, 1000)) {
      if (await deps.store.markDeleted(roomId, seq)) return 'marked';
      // Already a tombstone (a replay): nothing to wait for.
      if ((await deps.store.findMessage({ roomId, seq })) !== undefined) return 'tombstone';
      if (Date.now() + pause > deadline) return 'absent';
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  function handleModeration(records: BusRecord[]): Promise<void> {
    return decodeBatch('persistence.moderation', ModerationEventV1, records, async (batch) => {
      const events = batch.map(({ event }) => event);
      audited.inc(await deps.audit.append(events));
      for (const event of events) {
        if (event.action.kind !== 'delete') continue;
        const outcome = await markDeletedWhenStored(event.roomId, event.action.seq);
        // The inbox entries of the message lose the text too — on a replay as well, in case the
        // first attempt failed between the two writes.
        if (outcome !== 'absent') await deps.inbox.markDeleted(event.roomId, event.action.seq);
        if (outcome === 'marked') {
          tombstoned.inc();
          continue;
        }
        unmatched.inc();
        if (outcome === 'absent')
          deps.logger.warn({ roomId: event.roomId, seq: event.action.seq, eventId: event.id }, 'deleted message is not stored: no tombstone');
      }
    });
  }

  // One ConsumerMetrics for both subscriptions: it owns the service's consumer metric families.
  const consumerMetrics = new ConsumerMetrics({ metrics, service: 'persistence', logger: deps.logger });
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
    consumerMetrics,
  );
  // Its own group, so moderation events are not held behind a backlog of accepted messages.
  const moderation = consumerLifecycle(
    deps.bus,
    [{ name: deps.topics.moderation }],
    { groupId: `${deps.groupId}.moderation`, topics: [deps.topics.moderation], fromBeginning: true, handler: handleModeration },
    consumerMetrics,
  );
  const router = Router();
  const banCheckFailed = (err: unknown): void => deps.logger.warn({ err }, 'moderation state unavailable; history read without the ban check');
  router.use(historyRouter(deps.store, deps.verifyToken, deps.moderationStore, banCheckFailed), roomAdminRouter(deps.audit, deps.roles, deps.verifyToken), inboxRouter(deps.inbox, deps.verifyToken, (userId, unread) => deps.inboxCounters.set(userId, unread).catch(counterFailed)));
  return {
    metrics,
    router,
    // History, inbox and audit read MongoDB only: served while the consumers (re)join their groups,
    // so a restarted persistence answers resumes within its boot, not its rebalance.
    serveBeforeStart: true,
    readiness: {
      bus: () => deps.bus.healthy(),
      store: () => deps.store.healthy(),
      consuming: () => consumer.consuming() && moderation.consuming(),
    },
    async start() {
      await deps.store.init();
      await deps.audit.init();
      await deps.roles.init();
      await deps.inbox.init();
      await consumer.start();
      await moderation.start();
    },
    async stop() {
      await moderation.stop();
      await consumer.stop();
    },
  };
}
