import type { Server } from 'node:http';
import { headerValue, InMemoryMessageBus, type BusRecord } from '@roomcast/bus';
import {
  HEADERS,
  dlqTopic,
  resolveTopics,
  type ChatAcceptedV1,
  type ModerationEventV1,
  type RolesClaim,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { signUserToken, verifyUserToken } from '@roomcast/auth';
import { silentLogger } from '@roomcast/logger';
import { InMemoryModerationStore } from '@roomcast/moderation';
import { InMemoryInboxCounters } from '@roomcast/presence';
import { closeServer, createHttpApp, listen } from '@roomcast/service-kit';
import {
  InMemoryInboxStore,
  InMemoryMessageStore,
  InMemoryModerationAuditStore,
  InMemoryRoomRoleStore,
  type MessageRef,
  type MessageStore,
  type InboxAdded,
  type NewInboxEntry,
  type StoredMessage,
} from '@roomcast/store';
import { sleep, uniqueId, waitFor } from '@roomcast/testing';
import { createPersistenceApp, type PersistenceApp } from './app';

/**
 * InMemoryMessageStore whose next `failures` insertMany calls throw STORE_UNAVAILABLE (as
 * MongoMessageStore does when the server is unreachable) without writing anything.
 */
class FlakyMessageStore implements MessageStore {
  readonly inner = new InMemoryMessageStore();
  insertCalls = 0;
  constructor(public failures = 0) {}
  init(): Promise<void> {
    return this.inner.init();
  }
  async insertMany(messages: StoredMessage[]): Promise<{ inserted: number; duplicates: number }> {
    this.insertCalls += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      throw new AppError('STORE_UNAVAILABLE', 'mongo unreachable (test)');
    }
    return this.inner.insertMany(messages);
  }
  listByRoom(roomId: string, query?: { afterSeq?: number; limit?: number }): Promise<StoredMessage[]> {
    return this.inner.listByRoom(roomId, query);
  }
  findMessage(ref: MessageRef): Promise<StoredMessage | undefined> {
    return this.inner.findMessage(ref);
  }
  markDeleted(roomId: string, seq: number): Promise<boolean> {
    return this.inner.markDeleted(roomId, seq);
  }
  healthy(): Promise<boolean> {
    return this.inner.healthy();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** InMemoryInboxStore that records the size of each add() (one per batch with notices). */
class RecordingInboxStore extends InMemoryInboxStore {
  readonly adds: number[] = [];
  readonly deletes: string[] = [];
  /** Runs before each add (then cleared): lets a test put a delete between the message and inbox writes. */
  beforeAdd: (() => Promise<void>) | undefined;
  override async add(entries: NewInboxEntry[]): Promise<InboxAdded> {
    const hook = this.beforeAdd;
    this.beforeAdd = undefined;
    await hook?.();
    this.adds.push(entries.length);
    return super.add(entries);
  }
  override markDeleted(roomId: string, seq: number): Promise<number> {
    this.deletes.push(`${roomId}:${seq}`);
    return super.markDeleted(roomId, seq);
  }
}

interface Harness {
  bus: InMemoryMessageBus;
  store: FlakyMessageStore;
  audit: InMemoryModerationAuditStore;
  roles: InMemoryRoomRoleStore;
  inbox: RecordingInboxStore;
  inboxCounters: InMemoryInboxCounters;
  moderationStore: InMemoryModerationStore;
  topics: TopicNames;
  app: PersistenceApp;
  server: Server;
  baseUrl: string;
  dead: BusRecord[];
  deadModeration: BusRecord[];
}

let h: Harness;

async function start(storeFailures = 0): Promise<Harness> {
  const bus = new InMemoryMessageBus();
  const store = new FlakyMessageStore(storeFailures);
  const audit = new InMemoryModerationAuditStore();
  const roles = new InMemoryRoomRoleStore();
  const inbox = new RecordingInboxStore();
  const inboxCounters = new InMemoryInboxCounters();
  const moderationStore = new InMemoryModerationStore();
  const topics = resolveTopics(`${uniqueId('persist')}.`);
  const logger = silentLogger();
  const app = createPersistenceApp({
    bus,
    store,
    audit,
    roles,
    inbox,
    inboxCounters,
    moderationStore,
    logger,
    topics,
    groupId: uniqueId('persistence'),
    verifyToken: (token) => verifyUserToken(SECRET, token),
    deleteWaitMs: 300,
  });
  const http = createHttpApp({
    readiness: app.readiness,
    logger,
    metrics: app.metrics,
    routers: [app.router],
  });
  const { server, port } = await listen(http, 0, '127.0.0.1');
  await app.start();
  const dead: BusRecord[] = [];
  const deadModeration: BusRecord[] = [];
  for (const [topic, into] of [
    [topics.chatAccepted, dead],
    [topics.moderation, deadModeration],
  ] as const)
    await bus.subscribe({
      groupId: uniqueId('dlq'),
      topics: [dlqTopic(topic)],
      fromBeginning: true,
      handler: async (batch) => {
        into.push(...batch);
      },
    });
  return {
    bus,
    store,
    audit,
    roles,
    inbox,
    inboxCounters,
    moderationStore,
    topics,
    app,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    dead,
    deadModeration,
  };
}

afterEach(async () => {
  await closeServer(h.server);
  await h.app.stop();
  await h.bus.close();
});

let idNo = 0;
function accepted(roomId: string, seq: number, overrides: Partial<ChatAcceptedV1> = {}): ChatAcceptedV1 {
  idNo += 1;
  return {
    id: `m-${idNo}`,
    roomId,
    seq,
    userId: 'user-1',
    clientMsgId: `c-${idNo}`,
    text: `message ${seq}`,
    masked: false,
    sentAt: 1_700_000_000_000 + seq,
    acceptedAt: 1_700_000_000_100 + seq,
    ...overrides,
  };
}

async function publish(...messages: ChatAcceptedV1[]): Promise<void> {
  await h.bus.publish(
    h.topics.chatAccepted,
    messages.map((m) => ({ key: m.roomId, value: JSON.stringify(m) })),
  );
}

function counter(name: string): number {
  return h.app.metrics.snapshot()[name] ?? NaN;
}

const inserted = (): number => counter('roomcast_persistence_inserted_total');
const duplicates = (): number => counter('roomcast_persistence_duplicates_total');

const SECRET = 'persistence-test-secret';
let token: string | undefined;

/** GET with a valid user token (or `auth`: none, or another Authorization header). */
async function getJson(path: string, auth?: string | null): Promise<{ status: number; body: unknown }> {
  token ??= await signUserToken(SECRET, 'reader');
  const authorization = auth === undefined ? `Bearer ${token}` : auth;
  const res = await fetch(h.baseUrl + path, authorization === null ? {} : { headers: { authorization } });
  return { status: res.status, body: await res.json() };
}

interface HistoryBody {
  roomId: string;
  messages: ChatAcceptedV1[];
  nextAfterSeq: number;
}

async function history(path: string): Promise<HistoryBody> {
  const { status, body } = await getJson(path);
  expect(status).toBe(200);
  return body as HistoryBody;
}

describe('createPersistenceApp', () => {
  it('stores accepted records and serves them by room in seq order', async () => {
    h = await start();
    const [m1, m2, m3] = [accepted('room-a', 1), accepted('room-a', 2), accepted('room-a', 3)];
    const other = accepted('room-b', 1);
    // Out of order across two batches: history is ordered by seq, not by arrival.
    await publish(m3, other);
    await publish(m1, m2);

    await waitFor(() => inserted() === 4, 'four messages stored');
    const body = await history('/rooms/room-a/messages');
    expect(body).toEqual({ roomId: 'room-a', messages: [m1, m2, m3], nextAfterSeq: 3 });
    expect((await history('/rooms/room-b/messages')).messages).toEqual([other]);
  });

  it("stores each message with its record's trace id and sampled flag, and keeps them out of history", async () => {
    h = await start();
    const traced = accepted('room-t', 1);
    const sampledOut = accepted('room-t', 2);
    const untraced = accepted('room-t', 3);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const otherTraceId = '0af7651916cd43dd8448eb211c80319c';
    await h.bus.publish(h.topics.chatAccepted, [
      {
        key: 'room-t',
        value: JSON.stringify(traced),
        headers: { [HEADERS.traceparent]: `00-${traceId}-00f067aa0ba902b7-01` },
      },
      {
        key: 'room-t',
        value: JSON.stringify(sampledOut),
        headers: { [HEADERS.traceparent]: `00-${otherTraceId}-b7ad6b7169203331-00` },
      },
      // No trace context at all (a producer without a tracer): stored as it is.
      {
        key: 'room-t',
        value: JSON.stringify(untraced),
        headers: { [HEADERS.traceparent]: 'not-a-traceparent' },
      },
    ]);
    await waitFor(() => inserted() === 3, 'three messages stored');
    await expect(h.store.findMessage({ id: traced.id })).resolves.toEqual({
      ...traced,
      traceId,
      traceSampled: true,
    });
    await expect(h.store.findMessage({ id: sampledOut.id })).resolves.toEqual({
      ...sampledOut,
      traceId: otherTraceId,
      traceSampled: false,
    });
    await expect(h.store.findMessage({ id: untraced.id })).resolves.toStrictEqual(untraced);
    const listed = await history('/rooms/room-t/messages');
    expect(listed.messages).toEqual([traced, sampledOut, untraced]);
    expect(JSON.stringify(listed)).not.toContain('trace');
  });

  it('pages with afterSeq and limit', async () => {
    h = await start();
    const all = [1, 2, 3, 4, 5].map((seq) => accepted('room-p', seq));
    await publish(...all);
    await waitFor(() => inserted() === 5, 'five messages stored');

    const page1 = await history('/rooms/room-p/messages?limit=2');
    expect(page1.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(page1.nextAfterSeq).toBe(2);
    const page2 = await history(`/rooms/room-p/messages?afterSeq=${page1.nextAfterSeq}&limit=2`);
    expect(page2.messages.map((m) => m.seq)).toEqual([3, 4]);
    const page3 = await history(`/rooms/room-p/messages?afterSeq=${page2.nextAfterSeq}&limit=2`);
    expect(page3.messages.map((m) => m.seq)).toEqual([5]);
    const end = await history(`/rooms/room-p/messages?afterSeq=${page3.nextAfterSeq}&limit=2`);
    // Past the end the cursor stays put, so a poller can keep asking with it.
    expect(end).toEqual({ roomId: 'room-p', messages: [], nextAfterSeq: 5 });
    expect((await history('/rooms/room-none/messages')).messages).toEqual([]);
  });

  it('accepts every character a roomId may contain', async () => {
    h = await start();
    const roomId = 'Live_1.eu:stage-2';
    const m = accepted(roomId, 1);
    await publish(m);
    await waitFor(() => inserted() === 1, 'the message stored');
    expect(await history(`/rooms/${roomId}/messages`)).toEqual({ roomId, messages: [m], nextAfterSeq: 1 });
  });

  it.each([
    ['a roomId with a space', '/rooms/bad%20room/messages'],
    ['a roomId over 64 characters', `/rooms/${'r'.repeat(65)}/messages`],
    ['limit 0', '/rooms/room-a/messages?limit=0'],
    ['limit over 500', '/rooms/room-a/messages?limit=501'],
    ['a non-numeric limit', '/rooms/room-a/messages?limit=ten'],
    ['a fractional limit', '/rooms/room-a/messages?limit=2.5'],
    ['a negative afterSeq', '/rooms/room-a/messages?afterSeq=-1'],
  ])('answers 400 BAD_REQUEST to %s', async (_what, path) => {
    h = await start();
    const { status, body } = await getJson(path);
    expect(status).toBe(400);
    expect(body).toEqual({ code: 'BAD_REQUEST', message: expect.any(String), temporary: false });
  });

  it('serves history only with a valid user token: 401 without, with a forged or an expired one', async () => {
    h = await start();
    const forged = await signUserToken('some-other-secret', 'reader');
    const expired = await signUserToken(SECRET, 'reader', -60);
    for (const [auth, code] of [
      [null, 'UNAUTHORIZED'],
      ['Bearer ', 'UNAUTHORIZED'],
      [`Bearer ${forged}`, 'UNAUTHORIZED'],
      [`Bearer ${expired}`, 'TOKEN_EXPIRED'],
    ] as const) {
      const { status, body } = await getJson('/rooms/room-a/messages', auth);
      expect(status).toBe(401);
      expect(body).toMatchObject({ code, temporary: false });
    }
    expect((await getJson('/rooms/room-a/messages')).status).toBe(200);
  });

  it('refuses history to a user banned from the room (403 FORBIDDEN), and only in that room', async () => {
    h = await start();
    await h.moderationStore.apply('room-a', { kind: 'ban', userId: 'reader' });
    const { status, body } = await getJson('/rooms/room-a/messages');
    expect(status).toBe(403);
    expect(body).toMatchObject({ code: 'FORBIDDEN' });
    expect((await getJson('/rooms/room-b/messages')).status).toBe(200);
    await h.moderationStore.apply('room-a', { kind: 'unban', userId: 'reader' });
    expect((await getJson('/rooms/room-a/messages')).status).toBe(200);
  });

  it('counts a replayed record as a duplicate, not an error', async () => {
    h = await start();
    const m1 = accepted('room-a', 1);
    await publish(m1);
    await waitFor(() => inserted() === 1, 'the first write');
    // A replay after a crash: the same record again, alone and next to a new one.
    await publish(m1);
    await waitFor(() => duplicates() === 1, 'the replay counted');
    const m2 = accepted('room-a', 2);
    await publish(m1, m2);
    await waitFor(() => duplicates() === 2 && inserted() === 2, 'replay + new message');

    expect((await history('/rooms/room-a/messages')).messages).toEqual([m1, m2]);
    expect(h.bus.stats()).toMatchObject({ retried: 0, deadLettered: 0 });
    expect(h.dead).toHaveLength(0);
  });

  it('retries a batch while the store is unavailable and then stores it: nothing lost', async () => {
    // The app passes no retry policy, so the bus default applies: 5 retries, backoff from
    // 100 ms doubling, half jittered; two failures cost 150-300 ms of backoff.
    h = await start(2);
    const batch = [accepted('room-a', 1), accepted('room-a', 2), accepted('room-a', 3)];
    await publish(...batch);

    await waitFor(() => inserted() === 3, 'the batch stored after the store came back');
    expect(h.store.insertCalls).toBe(3);
    expect(h.store.failures).toBe(0);
    expect(h.bus.stats()).toMatchObject({ retried: 2, deadLettered: 0 });
    expect(duplicates()).toBe(0);
    expect((await history('/rooms/room-a/messages')).messages).toEqual(batch);
    expect(h.dead).toHaveLength(0);
  });

  it('dead-letters a record that fails the schema and stores the rest of its batch', async () => {
    h = await start();
    const good = accepted('room-a', 1);
    await h.bus.publish(h.topics.chatAccepted, [
      { key: 'room-a', value: JSON.stringify({ ...accepted('room-a', 2), roomId: 'no spaces allowed' }) },
      { key: 'room-a', value: JSON.stringify(good) },
    ]);

    await waitFor(() => inserted() === 1 && h.dead.length === 1, 'one stored and one dead letter');
    expect(headerValue(h.dead[0]!.headers[HEADERS.errorCode])).toBe('BAD_EVENT');
    expect((await history('/rooms/room-a/messages')).messages).toEqual([good]);
  });

  it('serves /readyz from its readiness checks', async () => {
    h = await start();
    expect(await getJson('/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { bus: true, store: true, consuming: true } },
    });
    await h.app.stop();
    expect((await getJson('/readyz')).status).toBe(503);
  });
});

let eventNo = 0;
function moderationEvent(
  roomId: string,
  action: ModerationEventV1['action'],
  overrides: Partial<ModerationEventV1> = {},
): ModerationEventV1 {
  eventNo += 1;
  return {
    id: `ev-${eventNo}`,
    roomId,
    actorId: 'mod-1',
    actorRole: 'moderator',
    at: 1_700_000_001_000 + eventNo,
    action,
    ...overrides,
  };
}

async function publishModeration(...events: ModerationEventV1[]): Promise<void> {
  await h.bus.publish(
    h.topics.moderation,
    events.map((e) => ({ key: e.roomId, value: JSON.stringify(e) })),
  );
}

const audited = (): number => counter('roomcast_persistence_audited_total');
const tombstoned = (): number => counter('roomcast_persistence_tombstoned_total');
const unmatched = (): number => counter('roomcast_persistence_delete_unmatched_total');

describe('createPersistenceApp: moderation events', () => {
  it('appends every event to the audit log and turns a deleted message into a tombstone in history', async () => {
    h = await start();
    const [m1, m2, m3] = [
      accepted('room-a', 1),
      accepted('room-a', 2, { masked: true }),
      accepted('room-a', 3),
    ];
    await publish(m1, m2, m3);
    await waitFor(() => inserted() === 3, 'three messages stored');
    const mute = moderationEvent(
      'room-a',
      { kind: 'mute', userId: 'user-1', durationMs: 60_000 },
      { until: 1_700_000_061_000 },
    );
    const del = moderationEvent('room-a', { kind: 'delete', seq: 2 });
    const elsewhere = moderationEvent('room-b', { kind: 'delete', seq: 2 });
    await publishModeration(mute, del, elsewhere);

    await waitFor(() => audited() === 3 && tombstoned() === 1, 'three audited, one tombstone');
    // room-b has no seq 2: nothing to mark once the wait for it is over, counted.
    await waitFor(() => unmatched() === 1, 'the unmatched delete counted');
    await expect(h.audit.list('room-a')).resolves.toEqual([del, mute]);
    await expect(h.audit.list('room-b')).resolves.toEqual([elsewhere]);
    const body = await history('/rooms/room-a/messages');
    expect(body.messages).toEqual([m1, { ...m2, text: '', masked: false, deleted: true }, m3]);
    expect(h.deadModeration).toHaveLength(0);
  });

  it('a delete that comes before its message is stored waits for it, and tombstones it once stored', async () => {
    h = await start();
    const m1 = accepted('room-a', 1);
    await publishModeration(moderationEvent('room-a', { kind: 'delete', seq: 1 }));
    await sleep(100);
    await publish(m1);
    await waitFor(() => tombstoned() === 1, 'the tombstone');
    expect(unmatched()).toBe(0);
    expect((await history('/rooms/room-a/messages')).messages).toEqual([{ ...m1, text: '', masked: false, deleted: true }]);
  });

  it('writes a replayed batch once: the audit log and the tombstone do not change', async () => {
    h = await start();
    const m1 = accepted('room-a', 1);
    await publish(m1);
    await waitFor(() => inserted() === 1, 'the message stored');
    const batch = [
      moderationEvent('room-a', { kind: 'ban', userId: 'user-1' }),
      moderationEvent('room-a', { kind: 'delete', seq: 1 }),
    ];
    await publishModeration(...batch);
    await waitFor(() => audited() === 2 && tombstoned() === 1, 'the first delivery');
    // The same records again (a crash before the commit).
    await publishModeration(...batch);
    await waitFor(() => unmatched() === 1, 'the replayed delete changed nothing');
    expect(audited()).toBe(2);
    expect(tombstoned()).toBe(1);
    await expect(h.audit.list('room-a')).resolves.toEqual([...batch].reverse());
    expect((await history('/rooms/room-a/messages')).messages).toEqual([
      { ...m1, text: '', masked: false, deleted: true },
    ]);
    expect(h.bus.stats()).toMatchObject({ retried: 0, deadLettered: 0 });
  });

  it('dead-letters a moderation record that fails the schema and audits the rest of its batch', async () => {
    h = await start();
    const good = moderationEvent('room-a', { kind: 'slow-mode', intervalMs: 5000 });
    await h.bus.publish(h.topics.moderation, [
      {
        key: 'room-a',
        value: JSON.stringify({
          ...moderationEvent('room-a', { kind: 'unmute', userId: 'u' }),
          action: { kind: 'nuke' },
        }),
      },
      { key: 'room-a', value: JSON.stringify(good) },
    ]);
    await waitFor(() => audited() === 1 && h.deadModeration.length === 1, 'one audited and one dead letter');
    expect(headerValue(h.deadModeration[0]!.headers[HEADERS.errorCode])).toBe('BAD_EVENT');
    await expect(h.audit.list('room-a')).resolves.toEqual([good]);
    expect(h.dead).toHaveLength(0);
  });
});

describe('createPersistenceApp: audit and roles APIs', () => {
  async function tokenFor(userId: string, roles?: RolesClaim): Promise<string> {
    return `Bearer ${await signUserToken(SECRET, userId, 60, roles === undefined ? {} : { roles })}`;
  }

  it('answers 401 without a valid token', async () => {
    h = await start();
    const expired = `Bearer ${await signUserToken(SECRET, 'mod', -60, { roles: { 'room-a': 'host' } })}`;
    for (const path of ['/rooms/room-a/audit', '/rooms/room-a/roles']) {
      expect(await getJson(path, null)).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
      expect(await getJson(path, expired)).toMatchObject({ status: 401, body: { code: 'TOKEN_EXPIRED' } });
    }
  });

  it('answers 403 FORBIDDEN to a viewer, and to a moderator of another room', async () => {
    h = await start();
    await h.roles.set('room-b', 'bob', 'host', 'admin', 1);
    for (const auth of [
      await tokenFor('viewer'),
      await tokenFor('mod', { 'room-b': 'moderator', 'other*': 'host' }),
      await tokenFor('bob'),
    ]) {
      for (const path of ['/rooms/room-a/audit', '/rooms/room-a/roles']) {
        const { status, body } = await getJson(path, auth);
        expect(status).toBe(403);
        expect(body).toEqual({ code: 'FORBIDDEN', message: expect.any(String), temporary: false });
      }
    }
  });

  it('serves the audit log, newest first and paged, to a moderator by token claim or by granted role', async () => {
    h = await start();
    // Three actions in one millisecond: the cursor (nextBefore, nextBeforeId) pages through them
    // without skipping any; the list's order within the millisecond is by id, descending.
    const at = 1_700_000_005_000;
    const events = [1, 2, 3]
      .map(() => moderationEvent('room-a', { kind: 'delete', seq: 9 }, { at }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    await publishModeration(...events, moderationEvent('room-b', { kind: 'slow-mode', intervalMs: 0 }));
    await waitFor(() => audited() === 4, 'four audited');
    await h.roles.set('room-a', 'granted', 'moderator', 'admin', 1);

    for (const auth of [
      await tokenFor('claims', { 'room-a': 'moderator' }),
      await tokenFor('prefixed', { 'room-*': 'host' }),
      await tokenFor('granted'),
    ]) {
      const page1 = await getJson('/rooms/room-a/audit?limit=2', auth);
      expect(page1).toEqual({
        status: 200,
        body: { roomId: 'room-a', entries: [events[2], events[1]], nextBefore: at, nextBeforeId: events[1]!.id },
      });
      const page2 = await getJson(`/rooms/room-a/audit?limit=2&before=${at}&beforeId=${events[1]!.id}`, auth);
      expect(page2).toEqual({
        status: 200,
        body: { roomId: 'room-a', entries: [events[0]], nextBefore: at, nextBeforeId: events[0]!.id },
      });
      const end = await getJson(`/rooms/room-a/audit?before=${at}&beforeId=${events[0]!.id}`, auth);
      expect(end).toEqual({ status: 200, body: { roomId: 'room-a', entries: [] } });
      // beforeId alone is a typed 400, not a silently unpaged list
      expect(await getJson(`/rooms/room-a/audit?beforeId=${events[0]!.id}`, auth)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    }
  });

  it('lists the granted roles of the room to its moderators and hosts', async () => {
    h = await start();
    await h.roles.set('room-a', 'mia', 'moderator', 'hal', 10);
    await h.roles.set('room-a', 'hal', 'host', 'admin', 5);
    await h.roles.set('room-b', 'zoe', 'host', 'admin', 5);
    const { status, body } = await getJson('/rooms/room-a/roles', await tokenFor('mia'));
    expect(status).toBe(200);
    expect(body).toEqual({
      roomId: 'room-a',
      grants: [
        { roomId: 'room-a', userId: 'hal', role: 'host', grantedBy: 'admin', grantedAt: 5 },
        { roomId: 'room-a', userId: 'mia', role: 'moderator', grantedBy: 'hal', grantedAt: 10 },
      ],
    });
  });

  it.each([
    ['limit 0', '/rooms/room-a/audit?limit=0'],
    ['limit over 500', '/rooms/room-a/audit?limit=501'],
    ['a non-numeric before', '/rooms/room-a/audit?before=yesterday'],
    ['a roomId with a space', '/rooms/bad%20room/audit'],
  ])('answers 400 BAD_REQUEST to %s from a moderator', async (_what, path) => {
    h = await start();
    const { status, body } = await getJson(path, await tokenFor('mod', { '*': 'moderator' }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'BAD_REQUEST' });
  });
});

/** A reply of the inbox API: a page, a mark-read result, or an error. */
interface InboxReply {
  items: { id: string; seq: number; read: boolean }[];
  unread?: number;
  marked?: number;
  code?: string;
}

describe('createPersistenceApp: the inbox (mentions and replies)', () => {
  async function call(method: 'GET' | 'POST', path: string, userId: string | null, body?: unknown): Promise<{ status: number; body: InboxReply }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (userId !== null) headers.authorization = `Bearer ${await signUserToken(SECRET, userId)}`;
    const res = await fetch(h.baseUrl + path, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as InboxReply };
  }

  beforeEach(async () => {
    h = await start();
  });

  it('writes the inbox once per batch: mentions and replies (author from the store, same batch or before), never the sender', async () => {
    await publish(accepted('room-r', 1, { userId: 'bob' }));
    await waitFor(() => inserted() === 1, 'the first message stored');
    expect(h.inbox.adds).toEqual([]);
    // One batch: a reply to bob (stored by the batch before), a reply to carl's message of the same
    // batch that also mentions carl (one entry: the reply), a self-mention, and a reply to no stored seq.
    await publish(
      accepted('room-r', 2, { userId: 'carl' }),
      accepted('room-r', 3, { userId: 'ann', replyTo: 1, mentions: ['ann', 'dan'] }),
      accepted('room-r', 4, { userId: 'ann', replyTo: 2, mentions: ['carl'] }),
      accepted('room-r', 5, { userId: 'ann', replyTo: 999 }),
    );
    await waitFor(() => h.inbox.adds.length === 1, 'one inbox write');
    expect(h.inbox.adds).toEqual([3]);
    const seen = async (userId: string) => (await h.inbox.list(userId)).items.map((i) => `${i.reason}:${i.seq}:${i.fromUserId}:${i.replyTo ?? '-'}`);
    await expect(seen('bob')).resolves.toEqual(['reply:3:ann:1']);
    await expect(seen('dan')).resolves.toEqual(['mention:3:ann:1']);
    await expect(seen('carl')).resolves.toEqual(['reply:4:ann:2']);
    await expect(seen('ann')).resolves.toEqual([]);
    expect(counter('roomcast_persistence_inbox_added_total')).toBe(3);
    expect(counter('roomcast_persistence_reply_unresolved_total')).toBe(1);
    await expect(h.inboxCounters.get(['bob', 'dan', 'carl', 'ann'])).resolves.toEqual([1, 1, 1, 0]);
  });

  it("clears a deleted message's text from its inbox entries, also when the delete is a replay", async () => {
    await publish(accepted('room-r', 1, { userId: 'ann', mentions: ['bob', 'carl'] }), accepted('room-r', 2, { userId: 'ann', mentions: ['bob'] }));
    await waitFor(() => h.inbox.adds.length === 1, 'the inbox write');
    const texts = async (userId: string) => (await h.inbox.list(userId)).items.map((i) => `${i.seq}:${i.text}:${i.deleted ?? '-'}`);
    await publishModeration(moderationEvent('room-r', { kind: 'delete', seq: 1 }));
    await waitFor(() => tombstoned() === 1, 'the tombstone');
    await waitFor(async () => (await texts('carl'))[0] === '1::true', "carl's entry cleared");
    await expect(texts('bob')).resolves.toEqual(['2:message 2:-', '1::true']);
    // The inbox write of the first attempt failed after the tombstone: the retry still clears it.
    await publish(accepted('room-r', 3, { userId: 'ann', mentions: ['dan'] }));
    await waitFor(() => h.inbox.adds.length === 2, 'the second inbox write');
    await h.store.markDeleted('room-r', 3);
    await publishModeration(moderationEvent('room-r', { kind: 'delete', seq: 3 }));
    await waitFor(() => unmatched() === 1, 'the delete of a tombstone');
    await expect(texts('dan')).resolves.toEqual(['3::true']);
  });

  it('clears the inbox entries of a message deleted between its message write and its inbox write', async () => {
    // The delete runs to its end (tombstone, then the inbox clearing, which finds no entry yet)
    // after the message is stored and before the inbox write of its batch.
    h.inbox.beforeAdd = async () => {
      await publishModeration(moderationEvent('room-r', { kind: 'delete', seq: 1 }));
      await waitFor(() => tombstoned() === 1 && h.inbox.deletes.includes('room-r:1'), 'the delete handled before the inbox write');
    };
    await publish(accepted('room-r', 1, { userId: 'ann', mentions: ['bob'] }), accepted('room-r', 2, { userId: 'ann', mentions: ['bob'] }));
    await waitFor(() => h.inbox.adds.length === 1, 'the inbox write');
    await waitFor(async () => (await h.inbox.list('bob')).items.find((i) => i.seq === 1)?.deleted === true, "bob's entry of the deleted message cleared");
    expect((await h.inbox.list('bob')).items.map((i) => `${i.seq}:${i.text}:${i.deleted ?? '-'}`)).toEqual(['2:message 2:-', '1::true']);
  });

  it('counts new entries only in the unread counters: a replayed batch adds nothing', async () => {
    const batch = [accepted('room-r', 1, { userId: 'ann', mentions: ['bob', 'carl'] }), accepted('room-r', 2, { userId: 'ann', mentions: ['bob'] })];
    await publish(...batch);
    await waitFor(() => h.inbox.adds.length === 1, 'the inbox write');
    await expect(h.inboxCounters.get(['bob', 'carl'])).resolves.toEqual([2, 1]);
    await publish(...batch, accepted('room-r', 3, { userId: 'carl', mentions: ['bob'] }));
    await waitFor(() => h.inbox.adds.length === 2, 'the replay and one new message');
    await expect(h.inboxCounters.get(['bob', 'carl'])).resolves.toEqual([3, 1]);
    expect(counter('roomcast_persistence_inbox_counter_failures_total')).toBe(0);
  });

  it('keeps the batch when the counters fail (counted and logged; the inbox is the record)', async () => {
    h.inboxCounters.add = async () => {
      throw new AppError('PRESENCE_UNAVAILABLE', 'redis down (test)');
    };
    await publish(accepted('room-r', 1, { userId: 'ann', mentions: ['bob'] }));
    await waitFor(() => counter('roomcast_persistence_inbox_counter_failures_total') === 1, 'the failed counter write');
    await expect(h.inbox.list('bob')).resolves.toMatchObject({ unread: 1 });
    expect(h.dead).toEqual([]);
  });

  it('takes a replayed batch harmlessly: nothing added, read items stay read', async () => {
    const m = accepted('room-r', 1, { userId: 'ann', mentions: ['bob'] });
    await publish(m);
    await waitFor(() => h.inbox.adds.length === 1, 'the inbox write');
    await h.inbox.markRead('bob', { all: true });
    await publish(m);
    await waitFor(() => h.inbox.adds.length === 2 && duplicates() === 1, 'the replay handled');
    await expect(h.inbox.list('bob')).resolves.toMatchObject({ unread: 0, items: [{ seq: 1, read: true }] });
    expect(counter('roomcast_persistence_inbox_added_total')).toBe(1);
  });

  it("serves the caller's own inbox over HTTP and marks items read by id or all", async () => {
    await publish(
      accepted('room-r', 1, { userId: 'ann', mentions: ['bob'], text: 'hi @bob' }),
      accepted('room-r', 2, { userId: 'ann', mentions: ['bob', 'carl'] }),
      accepted('room-r', 3, { userId: 'carl', mentions: ['bob'] }),
    );
    await waitFor(() => counter('roomcast_persistence_inbox_added_total') === 4, 'four entries');
    await expect(h.inboxCounters.get(['bob', 'carl'])).resolves.toEqual([3, 1]);
    // A counter gone wrong (short, or expired) is put right by the next mark-read.
    await h.inboxCounters.set('bob', 9);
    const all = await call('GET', '/inbox', 'bob');
    expect(all.status).toBe(200);
    expect(all.body.unread).toBe(3);
    expect(all.body.items.map((i: { seq: number }) => i.seq)).toEqual([3, 2, 1]);
    expect(all.body.items[2]).toEqual({ id: expect.any(String), read: false, roomId: 'room-r', seq: 1, fromUserId: 'ann', text: 'hi @bob', reason: 'mention', at: 1_700_000_000_101 });
    const page = await call('GET', `/inbox?limit=1&before=${encodeURIComponent(all.body.items[0]?.id ?? '')}`, 'bob');
    expect(page.body.items.map((i: { seq: number }) => i.seq)).toEqual([2]);

    // carl's id, sent by bob, marks nothing of carl's.
    const carls = await call('GET', '/inbox', 'carl');
    await expect(call('POST', '/inbox/read', 'bob', { ids: [all.body.items[1]?.id ?? '', 'nope'] })).resolves.toEqual({ status: 200, body: { marked: 1, unread: 2 } });
    await expect(call('POST', '/inbox/read', 'carl', { ids: [carls.body.items[0]?.id ?? ''] })).resolves.toEqual({ status: 200, body: { marked: 1, unread: 0 } });
    await expect(h.inboxCounters.get(['bob', 'carl'])).resolves.toEqual([2, 0]);
    await expect(call('POST', '/inbox/read', 'bob', { all: true })).resolves.toEqual({ status: 200, body: { marked: 2, unread: 0 } });
    await expect(h.inboxCounters.get(['bob'])).resolves.toEqual([0]);
    expect((await call('GET', '/inbox', 'bob')).body.items.map((i: { read: boolean }) => i.read)).toEqual([true, true, true]);
  });

  it('answers 401 without a valid token and 400 BAD_REQUEST for a bad query or body', async () => {
    for (const [method, path] of [['GET', '/inbox'], ['POST', '/inbox/read']] as const) {
      const r = await call(method, path, null, method === 'POST' ? { all: true } : undefined);
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('UNAUTHORIZED');
    }
    const forged = await fetch(`${h.baseUrl}/inbox`, { headers: { authorization: `Bearer ${await signUserToken('another-secret', 'bob')}` } });
    expect(forged.status).toBe(401);
    for (const path of ['/inbox?limit=0', '/inbox?limit=abc', '/inbox?limit=201', `/inbox?before=${'x'.repeat(200)}`]) {
      const r = await call('GET', path, 'bob');
      expect([path, r.status, r.body.code]).toEqual([path, 400, 'BAD_REQUEST']);
    }
    for (const body of [{}, { all: false }, { ids: [] }, { ids: 'x' }, { ids: ['a'], all: true }, '{not json', []]) {
      const r = await call('POST', '/inbox/read', 'bob', body);
      expect([body, r.status, r.body.code]).toEqual([body, 400, 'BAD_REQUEST']);
    }
  });
});
