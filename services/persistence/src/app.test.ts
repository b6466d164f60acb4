import type { Server } from 'node:http';
import { headerValue, InMemoryMessageBus, type BusRecord } from '@roomcast/bus';
import { HEADERS, dlqTopic, resolveTopics, type ChatAcceptedV1, type TopicNames } from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { signUserToken, verifyUserToken } from '@roomcast/auth';
import { silentLogger } from '@roomcast/logger';
import { closeServer, createHttpApp, listen } from '@roomcast/service-kit';
import {
  InMemoryMessageStore,
  type MessageRef,
  type MessageStore,
  type StoredMessage,
} from '@roomcast/store';
import { uniqueId, waitFor } from '@roomcast/testing';
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

interface Harness {
  bus: InMemoryMessageBus;
  store: FlakyMessageStore;
  topics: TopicNames;
  app: PersistenceApp;
  server: Server;
  baseUrl: string;
  dead: BusRecord[];
}

let h: Harness;

async function start(storeFailures = 0): Promise<Harness> {
  const bus = new InMemoryMessageBus();
  const store = new FlakyMessageStore(storeFailures);
  const topics = resolveTopics(`${uniqueId('persist')}.`);
  const logger = silentLogger();
  const app = createPersistenceApp({
    bus,
    store,
    logger,
    topics,
    groupId: uniqueId('persistence'),
    verifyToken: (token) => verifyUserToken(SECRET, token),
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
  await bus.subscribe({
    groupId: uniqueId('dlq'),
    topics: [dlqTopic(topics.chatAccepted)],
    fromBeginning: true,
    handler: async (batch) => {
      dead.push(...batch);
    },
  });
  return { bus, store, topics, app, server, baseUrl: `http://127.0.0.1:${port}`, dead };
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
