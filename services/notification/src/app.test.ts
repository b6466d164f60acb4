import {
  DEFAULT_TOPIC_PARTITIONS,
  headerValue,
  InMemoryMessageBus,
  partitionForKey,
  type BusRecord,
  type MessageBus,
  type OutgoingRecord,
} from '@roomcast/bus';
import {
  deliveryKey,
  GatewayDeliveryV1,
  HEADERS,
  dlqTopic,
  resolveTopics,
  type ChatAcceptedV1,
  type ChatRejectedV1,
  type ModerationEventV1,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { InMemoryQuestionBoard } from '@roomcast/live';
import { silentLogger } from '@roomcast/logger';
import { InMemoryPresenceStore } from '@roomcast/presence';
import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { InMemoryRecentMessages, type RecentEntry } from '@roomcast/sequencer';
import { uniqueId, waitFor } from '@roomcast/testing';
import { createNotificationApp, type NotificationApp } from './app';

const PRESENCE_TTL_MS = 60_000;

interface Harness {
  bus: InMemoryMessageBus;
  presence: InMemoryPresenceStore;
  topics: TopicNames;
  app: NotificationApp;
  /** Every publish the app made (not the test's own input records), in call order. */
  sent: { topic: string; records: OutgoingRecord[] }[];
  recent: InMemoryRecentMessages;
  /** Calls to the cache and to publish, in order: `cache:<seqs>` / `publish:<topic>`. */
  calls: string[];
  /** When set, the next cache write (append or markDeleted) fails with this error. */
  failCache: { error: Error | undefined };
  /** Where the Q&A board renders the room state `questions`. */
  roomState: InMemoryRoomStateHub;
}

let h: Harness;

beforeEach(async () => {
  const bus = new InMemoryMessageBus();
  const presence = new InMemoryPresenceStore();
  const topics = resolveTopics(`${uniqueId('notify')}.`);
  const sent: Harness['sent'] = [];
  const calls: string[] = [];
  const recent = new InMemoryRecentMessages();
  const failCache: Harness['failCache'] = { error: undefined };
  const recordingRecent = {
    append: async (entries: RecentEntry[]) => {
      const error = failCache.error;
      failCache.error = undefined;
      if (error) throw error;
      calls.push(`cache:${entries.map((e) => e.seq).join(',')}`);
      await recent.append(entries);
    },
    after: (roomId: string, afterSeq: number, limit: number) => recent.after(roomId, afterSeq, limit),
    markDeleted: async (roomId: string, seq: number) => {
      const error = failCache.error;
      failCache.error = undefined;
      if (error) throw error;
      calls.push(`deleted:${roomId}/${seq}`);
      return recent.markDeleted(roomId, seq);
    },
    appendUserNotices: async (entries: { userId: string; data: string }[]) => {
      calls.push(`notice:${entries.map((e) => e.userId).join(',')}`);
      await recent.appendUserNotices(entries);
    },
    userNotices: (userId: string) => recent.userNotices(userId),
    get: async (refs: { roomId: string; seq: number }[]) => {
      calls.push(`get:${refs.map((r) => `${r.roomId}/${r.seq}`).join(',')}`);
      return recent.get(refs);
    },
  };
  // Record every publish the app makes. This sees topics no test would think of subscribing to,
  // so "published nowhere else" can be asserted, not just "not on gw3's topic".
  const recording: MessageBus = {
    ensureTopics: (t) => bus.ensureTopics(t),
    deleteTopics: (n) => bus.deleteTopics(n),
    subscribe: (o) => bus.subscribe(o),
    consumerLag: (g, t) => bus.consumerLag(g, t),
    stats: () => bus.stats(),
    healthy: () => bus.healthy(),
    close: () => bus.close(),
    publish: async (topic, records) => {
      sent.push({ topic, records });
      calls.push(`publish:${topic}`);
      await bus.publish(topic, records);
    },
  };
  const roomState = new InMemoryRoomStateHub();
  const app = createNotificationApp({
    bus: recording,
    presence,
    recent: recordingRecent,
    questions: new InMemoryQuestionBoard(roomState),
    logger: silentLogger(),
    topics,
    groupId: uniqueId('notification'),
  });
  await app.start();
  h = { bus, presence, topics, app, sent, recent, calls, failCache, roomState };
});

afterEach(async () => {
  await h.app.stop();
  await h.bus.close();
});

async function collect(topic: string): Promise<BusRecord[]> {
  const records: BusRecord[] = [];
  const sub = await h.bus.subscribe({
    groupId: uniqueId('collector'),
    topics: [topic],
    fromBeginning: true,
    handler: async (batch) => {
      records.push(...batch);
    },
  });
  await sub.ready;
  return records;
}

let msgNo = 0;
function accepted(roomId: string, overrides: Partial<ChatAcceptedV1> = {}): ChatAcceptedV1 {
  msgNo += 1;
  return {
    id: `m-${msgNo}`,
    roomId,
    seq: msgNo,
    userId: 'user-1',
    clientMsgId: `c-${msgNo}`,
    text: `message ${msgNo}`,
    masked: false,
    sentAt: 1_700_000_000_000,
    acceptedAt: 1_700_000_000_010,
    ...overrides,
  };
}

function rejected(roomId: string, userId: string): ChatRejectedV1 {
  msgNo += 1;
  return {
    id: `m-${msgNo}`,
    roomId,
    userId,
    clientMsgId: `c-${msgNo}`,
    reason: 'blocked-word',
    rejectedAt: 1_700_000_000_020,
  };
}

let moderationNo = 0;
function deletion(roomId: string, seq: number): ModerationEventV1 {
  moderationNo += 1;
  return {
    id: `mod-${moderationNo}`,
    roomId,
    actorId: 'moderator-1',
    actorRole: 'moderator',
    at: 1_700_000_000_500,
    action: { kind: 'delete', seq },
  };
}

async function publish(topic: string, events: (ChatAcceptedV1 | ChatRejectedV1 | ModerationEventV1)[]): Promise<void> {
  await h.bus.publish(
    topic,
    events.map((e) => ({ key: e.roomId, value: JSON.stringify(e) })),
  );
}

function counter(name: string): number {
  return h.app.metrics.snapshot()[name] ?? NaN;
}

const deliveries = (): number => counter('roomcast_notification_deliveries_total');
const unrouted = (): number => counter('roomcast_notification_unrouted_total');

function delivery(record: BusRecord): GatewayDeliveryV1 {
  return GatewayDeliveryV1.parse(JSON.parse(record.value.toString()));
}

/** The room of a delivery the app handed to publish; its key must be that room. */
function roomOf(record: OutgoingRecord): string {
  const d = GatewayDeliveryV1.parse(JSON.parse(String(record.value)));
  const roomId = deliveryKey(d);
  expect(record.key).toBe(roomId);
  return roomId;
}

describe('createNotificationApp', () => {
  it('routes an accepted message to exactly the gateways with viewers in its room', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways(['room-r'], 'gw2', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways(['room-s'], 'gw3', PRESENCE_TTL_MS);
    // A user of gw3 sent it: who SENT a room message must not matter for where it goes.
    await h.presence.setUserGateway('user-1', 'gw3', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const gw2 = await collect(h.topics.delivery('gw2'));
    const message = accepted('room-r');

    await publish(h.topics.chatAccepted, [message]);

    await waitFor(() => gw1.length === 1 && gw2.length === 1, 'the message on gw1 and gw2');
    // Every gateway publish of one record starts before the counter moves (one Promise.all).
    expect(deliveries()).toBe(2);
    expect(h.sent.map((s) => s.topic).sort()).toEqual([h.topics.delivery('gw1'), h.topics.delivery('gw2')]);
    for (const record of [gw1[0]!, gw2[0]!]) {
      expect(record.key).toBe('room-r');
      expect(delivery(record)).toEqual({ kind: 'room.message', message });
    }
    expect(unrouted()).toBe(0);
  });

  it('caches every accepted message (routed or not) before it routes any', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const a = accepted('room-r');
    const b = accepted('room-nobody');
    await publish(h.topics.chatAccepted, [a]);
    await publish(h.topics.chatAccepted, [b]);

    await waitFor(() => gw1.length === 1 && unrouted() === 1, 'one routed, one unrouted');
    // The cache write of a message comes before the publish that routes it.
    const cacheAt = h.calls.indexOf(`cache:${a.seq}`);
    expect(cacheAt).toBeGreaterThanOrEqual(0);
    expect(h.calls.indexOf(`publish:${h.topics.delivery('gw1')}`)).toBeGreaterThan(cacheAt);
    const cachedA = await h.recent.after('room-r', 0, 10);
    expect(cachedA.entries.map((e) => JSON.parse(e.data) as unknown)).toEqual([a]);
    expect((await h.recent.after('room-nobody', 0, 10)).entries.map((e) => e.seq)).toEqual([b.seq]);
  });

  it('puts each accepted question on its room\'s Q&A board once, before routing it', async () => {
    await h.presence.touchRoomGateways(['room-q'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const question = accepted('room-q', { kind: 'question', text: 'when is the sale?', userId: 'ann' });
    const chat = accepted('room-q');
    await publish(h.topics.chatAccepted, [question, chat, accepted('room-p', { kind: 'question', text: 'other room?' })]);
    await waitFor(() => gw1.length === 2, 'both messages routed');
    expect(h.roomState.get('room-q', 'questions')).toEqual({
      items: [{ seq: question.seq, userId: 'ann', text: 'when is the sale?', votes: 0, answered: false, highlighted: false }],
    });
    expect((h.roomState.get('room-p', 'questions') as { items: unknown[] }).items).toHaveLength(1);
    const [version] = await h.roomState.reader().versions(['room-q']);
    // a replayed batch adds nothing (and writes no new room state)
    await publish(h.topics.chatAccepted, [question]);
    await waitFor(() => gw1.length === 3, 'the replay routed');
    expect(await h.roomState.reader().versions(['room-q'])).toEqual([version]);
    expect((h.roomState.get('room-q', 'questions') as { items: unknown[] }).items).toHaveLength(1);
  });

  it('routes nothing while the cache cannot be written, and routes after the retry', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    h.failCache.error = new AppError('STORE_UNAVAILABLE', 'redis down');
    const message = accepted('room-r');
    await publish(h.topics.chatAccepted, [message]);

    await waitFor(() => gw1.length === 1, 'the message routed after the retry');
    expect(h.calls.filter((c) => !c.startsWith('publish:' + h.topics.chatAccepted))).toEqual([
      `cache:${message.seq}`,
      `publish:${h.topics.delivery('gw1')}`,
    ]);
  });

  it('routes each room of one batch to its own gateways', async () => {
    // Three rooms that hash to the same partition, published together, reach the handler as
    // one batch: one presence lookup for several rooms, each routed by its own entry.
    const a = 'room-s';
    const b = 'room-1';
    const empty = 'room-empty';
    for (const room of [b, empty])
      expect(partitionForKey(room, DEFAULT_TOPIC_PARTITIONS)).toBe(
        partitionForKey(a, DEFAULT_TOPIC_PARTITIONS),
      );
    await h.presence.touchRoomGateways([a], 'gw1', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways([a, b], 'gw2', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways([b], 'gw3', PRESENCE_TTL_MS);
    await publish(h.topics.chatAccepted, [accepted(a), accepted(empty), accepted(b)]);

    await waitFor(() => deliveries() === 4, 'four deliveries');
    const routes = h.sent.flatMap((x) => x.records.map((r) => `${x.topic} <- ${roomOf(r)}`));
    // One publish per gateway topic for the whole batch, not one per record.
    expect(h.sent.map((x) => x.topic).sort()).toEqual(
      [h.topics.delivery('gw1'), h.topics.delivery('gw2'), h.topics.delivery('gw3')].sort(),
    );
    expect(routes.sort()).toEqual(
      [
        `${h.topics.delivery('gw1')} <- ${a}`,
        `${h.topics.delivery('gw2')} <- ${a}`,
        `${h.topics.delivery('gw2')} <- ${b}`,
        `${h.topics.delivery('gw3')} <- ${b}`,
      ].sort(),
    );
    expect(unrouted()).toBe(1);
  });

  it('routes a rejection only to the gateway that owns the sender', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways(['room-r'], 'gw2', PRESENCE_TTL_MS);
    await h.presence.setUserGateway('user-9', 'gw2', PRESENCE_TTL_MS);
    const gw2 = await collect(h.topics.delivery('gw2'));
    const rejection = rejected('room-r', 'user-9');

    await publish(h.topics.chatRejected, [rejection]);

    await waitFor(() => gw2.length === 1, 'the rejection on gw2');
    expect(h.calls.indexOf('notice:user-9')).toBeGreaterThanOrEqual(0);
    expect(h.calls.indexOf(`publish:${h.topics.delivery('gw2')}`)).toBeGreaterThan(h.calls.indexOf('notice:user-9'));
    expect(deliveries()).toBe(1);
    expect(h.sent.map((s) => s.topic)).toEqual([h.topics.delivery('gw2')]);
    expect(gw2[0]!.key).toBe('room-r');
    expect(delivery(gw2[0]!)).toEqual({ kind: 'user.rejected', rejected: rejection });
  });

  it('counts a message for a room without gateways as unrouted and publishes it nowhere', async () => {
    await h.presence.touchRoomGateways(['room-s'], 'gw3', PRESENCE_TTL_MS);
    await h.presence.setUserGateway('user-1', 'gw3', PRESENCE_TTL_MS);

    await publish(h.topics.chatAccepted, [accepted('room-empty')]);

    await waitFor(() => unrouted() === 1, 'the unrouted count');
    // The handler resolved (the count moves in it, after any publish would have started).
    expect(h.sent).toEqual([]);
    expect(deliveries()).toBe(0);
  });

  it('counts a rejection whose sender is offline as unrouted and publishes it nowhere', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);

    await publish(h.topics.chatRejected, [rejected('room-r', 'user-gone')]);

    await waitFor(() => unrouted() === 1, 'the unrouted count');
    expect(h.sent).toEqual([]);
    // Kept for the sender's next connect.
    const kept = (await h.recent.userNotices('user-gone')).map((d) => JSON.parse(d) as ChatRejectedV1);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ userId: 'user-gone', roomId: 'room-r' });
  });

  it('dead-letters an accepted record that fails the schema and still routes the rest of the batch', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const dead = await collect(dlqTopic(h.topics.chatAccepted));
    const good = accepted('room-r');
    await h.bus.publish(h.topics.chatAccepted, [
      { key: 'room-r', value: JSON.stringify({ ...accepted('room-r'), seq: 0 }) },
      { key: 'room-r', value: JSON.stringify(good) },
    ]);

    await waitFor(() => gw1.length === 1 && dead.length === 1, 'one delivery and one dead letter');
    expect(delivery(gw1[0]!)).toEqual({ kind: 'room.message', message: good });
    expect(headerValue(dead[0]!.headers[HEADERS.errorCode])).toBe('BAD_EVENT');
  });
});

describe('createNotificationApp: deletes (room.moderation.applied.v1)', () => {
  const tombstoneOf = (m: ChatAcceptedV1): ChatAcceptedV1 => {
    const { priority, ...kept } = m;
    return { ...kept, ...(priority ? { priority } : {}), text: '', masked: false, deleted: true };
  };

  it('tombstones the cached message, then routes room.deleted to the gateways of its room, after the message', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways(['room-r'], 'gw2', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways(['room-s'], 'gw3', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const gw2 = await collect(h.topics.delivery('gw2'));
    const message = accepted('room-r', { masked: true });
    await publish(h.topics.chatAccepted, [message]);
    await waitFor(() => gw1.length === 1 && gw2.length === 1, 'the message on gw1 and gw2');

    await publish(h.topics.moderation, [deletion('room-r', message.seq)]);

    await waitFor(() => deliveries() === 4, 'the delete on gw1 and gw2');
    await waitFor(() => gw1.length === 2 && gw2.length === 2, 'gw1 and gw2 to read the delete');
    for (const records of [gw1, gw2]) {
      expect(records.map(delivery)).toEqual([
        { kind: 'room.message', message },
        { kind: 'room.deleted', roomId: 'room-r', seq: message.seq },
      ]);
      // One key, so one partition: the gateway reads the delete after the message.
      expect(records.map((r) => r.key)).toEqual(['room-r', 'room-r']);
      expect(records[1]!.partition).toBe(records[0]!.partition);
      expect(records[1]!.offset > records[0]!.offset).toBe(true);
    }
    expect(new Set(h.sent.map((x) => x.topic))).toEqual(new Set([h.topics.delivery('gw1'), h.topics.delivery('gw2')]));
    // The tombstone is written before the delete is routed.
    const deletedAt = h.calls.indexOf(`deleted:room-r/${message.seq}`);
    expect(deletedAt).toBeGreaterThan(h.calls.indexOf(`cache:${message.seq}`));
    expect(h.calls.slice(deletedAt + 1).sort()).toEqual([`publish:${h.topics.delivery('gw1')}`, `publish:${h.topics.delivery('gw2')}`]);
    const cachedR = await h.recent.after('room-r', 0, 10);
    expect(cachedR.entries.map((e) => JSON.parse(e.data) as unknown)).toEqual([tombstoneOf(message)]);
  });

  it('takes a deleted question off its room\'s Q&A board, and a replayed batch does not bring it back', async () => {
    await h.presence.touchRoomGateways(['room-q'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const seqs = () => (h.roomState.get('room-q', 'questions') as { items: { seq: number }[] }).items.map((i) => i.seq);
    const kept = accepted('room-q', { kind: 'question', text: 'kept?' });
    const gone = accepted('room-q', { kind: 'question', text: 'rude?' });
    await publish(h.topics.chatAccepted, [kept, gone]);
    await waitFor(() => gw1.length === 2, 'both questions routed');
    expect(seqs()).toEqual([kept.seq, gone.seq]);
    await publish(h.topics.moderation, [deletion('room-q', gone.seq)]);
    await waitFor(() => gw1.length === 3, 'the delete routed');
    expect(seqs()).toEqual([kept.seq]);
    await publish(h.topics.chatAccepted, [gone]);
    await waitFor(() => gw1.length === 4, 'the replay routed');
    expect(seqs()).toEqual([kept.seq]);
  });

  it('acts on delete only: other moderation actions route nothing and leave the cache alone', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const kept = accepted('room-r');
    await publish(h.topics.chatAccepted, [kept]);
    await waitFor(() => gw1.length === 1, 'the message on gw1');
    const mute: ModerationEventV1 = {
      ...deletion('room-r', kept.seq),
      until: 1_700_000_060_500,
      action: { kind: 'mute', userId: 'user-1', durationMs: 60_000 },
    };
    const words: ModerationEventV1 = { ...deletion('room-r', kept.seq), action: { kind: 'room-words', added: ['x'], removed: [] } };
    const other = accepted('room-r');
    await publish(h.topics.chatAccepted, [other]);
    await waitFor(() => gw1.length === 2, 'the second message on gw1');

    // One batch: the delete of `other` among two actions notification does not handle.
    await publish(h.topics.moderation, [mute, deletion('room-r', other.seq), words]);

    await waitFor(() => deliveries() === 3 && gw1.length === 3, 'the delete on gw1');
    expect(delivery(gw1[2]!)).toEqual({ kind: 'room.deleted', roomId: 'room-r', seq: other.seq });
    expect(h.calls.filter((c) => c.startsWith('deleted:'))).toEqual([`deleted:room-r/${other.seq}`]);
    const cachedR = (await h.recent.after('room-r', 0, 10)).entries.map((e) => JSON.parse(e.data) as unknown);
    expect(cachedR).toEqual([kept, tombstoneOf(other)]);
  });

  it('looks up presence once for the rooms of a batch and counts deletes it could not route or find cached', async () => {
    // Three rooms of one partition, published together: one batch (as in the routing test above).
    const [a, b, empty] = ['room-s', 'room-1', 'room-empty'];
    for (const room of [b, empty])
      expect(partitionForKey(room, DEFAULT_TOPIC_PARTITIONS)).toBe(partitionForKey(a, DEFAULT_TOPIC_PARTITIONS));
    await h.presence.touchRoomGateways([a], 'gw1', PRESENCE_TTL_MS);
    await h.presence.touchRoomGateways([a, b], 'gw2', PRESENCE_TTL_MS);
    const lookups = jest.spyOn(h.presence, 'getRoomGateways');

    await publish(h.topics.moderation, [deletion(a, 5), deletion(empty, 6), deletion(b, 7), deletion(a, 8)]);

    await waitFor(() => deliveries() === 5, 'five deliveries');
    expect(unrouted()).toBe(1);
    expect(lookups).toHaveBeenCalledTimes(1);
    expect([...(lookups.mock.calls[0]![0] as string[])].sort()).toEqual([a, b, empty].sort());
    // One publish per gateway topic, each gateway's deletes in record order.
    const routed = (gatewayId: string) =>
      h.sent
        .filter((x) => x.topic === h.topics.delivery(gatewayId))
        .flatMap((x) =>
          x.records.map((r) => {
            const d = GatewayDeliveryV1.parse(JSON.parse(String(r.value)));
            return d.kind === 'room.deleted' ? `${roomOf(r)}/${d.seq}` : d.kind;
          }),
        );
    expect(h.sent).toHaveLength(2);
    expect(routed('gw1')).toEqual([`${a}/5`, `${a}/8`]);
    expect(routed('gw2')).toEqual([`${a}/5`, `${b}/7`, `${a}/8`]);
    // Nothing was cached: the four deletes found nothing to tombstone.
    expect(counter('roomcast_notification_delete_uncached_total')).toBe(4);
  });

  it('takes a replayed delete (and a replayed message) without changing the tombstone', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const message = accepted('room-r');
    const del = deletion('room-r', message.seq);
    await publish(h.topics.chatAccepted, [message]);
    await waitFor(() => gw1.length === 1, 'the message on gw1');
    await publish(h.topics.moderation, [del]);
    await waitFor(() => gw1.length === 2, 'the delete on gw1');
    const once = await h.recent.after('room-r', 0, 10);

    // What a consumer replay (rebalance, restart before commit) hands the app again.
    await publish(h.topics.chatAccepted, [message]);
    await publish(h.topics.moderation, [del]);

    await waitFor(() => gw1.length === 4, 'the replays on gw1');
    await expect(h.recent.after('room-r', 0, 10)).resolves.toEqual(once);
    expect(JSON.parse(once.entries[0]!.data)).toEqual(tombstoneOf(message));
    // A repeated delete is the same record again; the gateway's `deleted` is idempotent for clients.
    expect(gw1.filter((r) => delivery(r).kind === 'room.deleted').map((r) => r.value.toString())).toEqual([
      gw1[1]!.value.toString(),
      gw1[1]!.value.toString(),
    ]);
    expect(counter('roomcast_notification_delete_uncached_total')).toBe(0);
  });

  it('routes no delete while the cache cannot be written, and routes it after the retry', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const message = accepted('room-r');
    await publish(h.topics.chatAccepted, [message]);
    await waitFor(() => gw1.length === 1, 'the message on gw1');
    h.failCache.error = new AppError('STORE_UNAVAILABLE', 'redis down');

    await publish(h.topics.moderation, [deletion('room-r', message.seq)]);

    await waitFor(() => gw1.length === 2, 'the delete routed after the retry');
    expect(h.calls.slice(h.calls.indexOf(`publish:${h.topics.delivery('gw1')}`) + 1)).toEqual([
      `deleted:room-r/${message.seq}`,
      `publish:${h.topics.delivery('gw1')}`,
    ]);
    expect(JSON.parse((await h.recent.after('room-r', 0, 10)).entries[0]!.data)).toMatchObject({ deleted: true, text: '' });
  });

  it('dead-letters a moderation record that fails the schema and still routes the rest of the batch', async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const dead = await collect(dlqTopic(h.topics.moderation));
    await h.bus.publish(h.topics.moderation, [
      { key: 'room-r', value: JSON.stringify({ ...deletion('room-r', 1), action: { kind: 'delete', seq: 0 } }) },
      { key: 'room-r', value: JSON.stringify(deletion('room-r', 2)) },
    ]);

    await waitFor(() => gw1.length === 1 && dead.length === 1, 'one delivery and one dead letter');
    expect(delivery(gw1[0]!)).toEqual({ kind: 'room.deleted', roomId: 'room-r', seq: 2 });
    expect(headerValue(dead[0]!.headers[HEADERS.errorCode])).toBe('BAD_EVENT');
    expect(headerValue(dead[0]!.headers[HEADERS.sourceTopic])).toBe(h.topics.moderation);
  });
});

describe('createNotificationApp: mentions and replies (user.mention)', () => {
  const mentionsOn = (records: BusRecord[]) =>
    records.map(delivery).flatMap((d) => (d.kind === 'user.mention' ? [`${d.userId}:${d.reason}:${d.message.seq}`] : []));
  const mentionCount = (): number => counter('roomcast_notification_mentions_total');

  it("routes a mention only to each mentioned user's gateway, never the sender, nothing for one offline", async () => {
    await h.presence.touchRoomGateways(['room-r'], 'gw1', PRESENCE_TTL_MS);
    await h.presence.setUserGateway('ann', 'gw1', PRESENCE_TTL_MS);
    await h.presence.setUserGateway('bob', 'gw2', PRESENCE_TTL_MS);
    await h.presence.setUserGateway('dan', 'gw3', PRESENCE_TTL_MS);
    const [gw1, gw2, gw3] = await Promise.all(['gw1', 'gw2', 'gw3'].map((g) => collect(h.topics.delivery(g))));
    // ann mentions herself, bob (online on gw2) and carl (offline); dan is online but not mentioned.
    const message = accepted('room-r', { userId: 'ann', mentions: ['ann', 'bob', 'carl'] });

    await publish(h.topics.chatAccepted, [message]);

    await waitFor(() => gw2!.length === 1 && gw1!.length === 1, 'the message on gw1, the mention on gw2');
    expect(delivery(gw2![0]!)).toEqual({ kind: 'user.mention', userId: 'bob', reason: 'mention', message });
    expect(gw2![0]!.key).toBe('room-r');
    expect(mentionsOn(gw1!)).toEqual([]);
    expect(gw3).toEqual([]);
    // One publish for the batch: the room message and the mention in the same call.
    expect(h.sent.map((s) => s.topic).sort()).toEqual([h.topics.delivery('gw1'), h.topics.delivery('gw2')]);
    expect(h.calls.filter((c) => c.startsWith('get:'))).toEqual([]);
    expect(mentionCount()).toBe(1);
    expect(deliveries()).toBe(2);
  });

  it('resolves the author of replyTo from the recent cache in one lookup per batch (same batch included)', async () => {
    await h.presence.setUserGateway('ann', 'gw1', PRESENCE_TTL_MS);
    await h.presence.setUserGateway('bob', 'gw2', PRESENCE_TTL_MS);
    const gw1 = await collect(h.topics.delivery('gw1'));
    const gw2 = await collect(h.topics.delivery('gw2'));
    const bobs = accepted('room-r', { userId: 'bob' });
    await publish(h.topics.chatAccepted, [bobs]);
    await waitFor(() => h.calls.includes(`cache:${bobs.seq}`), 'the first message cached');
    const anns = accepted('room-r', { userId: 'ann' });
    // In one batch: ann answers bob (cached by an earlier batch), bob answers ann's message of the
    // same batch and mentions her too (one notice: the reply), and a reply to a seq never cached.
    const replyToBob = accepted('room-r', { userId: 'ann', replyTo: bobs.seq });
    const replyToAnn = accepted('room-r', { userId: 'bob', replyTo: anns.seq, mentions: ['ann'] });
    const lost = accepted('room-r', { userId: 'ann', replyTo: 99_999 });
    await publish(h.topics.chatAccepted, [anns, replyToBob, replyToAnn, lost]);

    await waitFor(() => gw1.length === 1 && gw2.length === 1, 'a reply notice to each author');
    expect(delivery(gw2[0]!)).toEqual({ kind: 'user.mention', userId: 'bob', reason: 'reply', message: replyToBob });
    expect(delivery(gw1[0]!)).toEqual({ kind: 'user.mention', userId: 'ann', reason: 'reply', message: replyToAnn });
    expect(h.calls.filter((c) => c.startsWith('get:'))).toEqual([`get:room-r/${bobs.seq},room-r/${anns.seq},room-r/99999`]);
    expect(h.calls.indexOf(`get:room-r/${bobs.seq},room-r/${anns.seq},room-r/99999`)).toBeGreaterThan(h.calls.indexOf(`cache:${anns.seq},${replyToBob.seq},${replyToAnn.seq},${lost.seq}`));
    expect(counter('roomcast_notification_reply_unresolved_total')).toBe(1);
    expect(mentionCount()).toBe(2);
  });

  it('takes a replayed record harmlessly: the same notice again (clients drop it by room and seq), the cache unchanged', async () => {
    await h.presence.setUserGateway('bob', 'gw2', PRESENCE_TTL_MS);
    const gw2 = await collect(h.topics.delivery('gw2'));
    const message = accepted('room-r', { userId: 'ann', mentions: ['bob'] });
    await publish(h.topics.chatAccepted, [message]);
    await waitFor(() => gw2.length === 1, 'the mention');
    const cached = await h.recent.after('room-r', 0, 10);

    await publish(h.topics.chatAccepted, [message]);

    await waitFor(() => gw2.length === 2, 'the replayed mention');
    expect(delivery(gw2[1]!)).toEqual(delivery(gw2[0]!));
    await expect(h.recent.after('room-r', 0, 10)).resolves.toEqual(cached);
  });

  it('routes no notice for a tombstone, only for the live message beside it', async () => {
    await h.presence.setUserGateway('bob', 'gw2', PRESENCE_TTL_MS);
    const gw2 = await collect(h.topics.delivery('gw2'));
    const tomb = accepted('room-r', { userId: 'ann', mentions: ['bob'], deleted: true, text: '' });
    const live = accepted('room-r', { userId: 'ann', mentions: ['bob'] });
    await publish(h.topics.chatAccepted, [tomb, live]);
    await waitFor(() => gw2.length === 1, 'one mention');
    expect(mentionsOn(gw2)).toEqual([`bob:mention:${live.seq}`]);
  });
});
