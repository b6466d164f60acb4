// Two filter instances as separate processes on the real Kafka, Redis and Mongo-wire server:
// a dictionary change made through ONE instance's admin API takes effect on BOTH, without a
// restart. Topic prefix, groups, Redis key prefix and database are unique to this test.
import { signUserToken } from '@roomcast/auth';
import { KafkaMessageBus, type BusRecord, type Subscription } from '@roomcast/bus';
import { ChatAcceptedV1, ChatRejectedV1, ModerationEventV1, resolveTopics, type ChatIngestedV1 } from '@roomcast/contracts';
import { silentLogger } from '@roomcast/logger';
import { MongoRoomRoleStore } from '@roomcast/store';
import { infraEnv, uniqueId, waitFor } from '@roomcast/testing';
import { MongoClient } from 'mongodb';
import { startService, type ServiceProcess } from '../../../test/harness/processes';

const TOKEN = 'int-test-admin-token-0123456789';
const JWT_SECRET = 'int-test-jwt-secret-0123456789';
/** Spread over every partition, so each instance of the group handles some of them. */
const ROOMS = Array.from({ length: 16 }, (_, k) => `room-${k}`);

const infra = infraEnv();
const id = uniqueId('filt');
const dbName = id.replace(/[^A-Za-z0-9_-]/g, '_');
const topics = resolveTopics(`${id}.`);
let bus: KafkaMessageBus;
let collector: Subscription | undefined;
const accepted: ChatAcceptedV1[] = [];
const rejected: ChatRejectedV1[] = [];
const moderation: ModerationEventV1[] = [];
const instances: ServiceProcess[] = [];

async function metric(p: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

async function readyVersion(p: ServiceProcess): Promise<number | undefined> {
  const body = (await (await fetch(`http://127.0.0.1:${p.port}/readyz`)).json()) as { dictionary?: { version?: number } };
  return body.dictionary?.version;
}

async function admin(p: ServiceProcess, method: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${p.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function sendToEveryRoom(text: string): Promise<ChatIngestedV1[]> {
  const now = Date.now();
  const events = ROOMS.map((roomId): ChatIngestedV1 => ({ id: uniqueId('msg'), roomId, userId: 'u1', clientMsgId: uniqueId('c'), text, sentAt: now, gatewayId: 'gw', submittedAt: now, ingestedAt: now }));
  await bus.publish(topics.chatIngested, events.map((e) => ({ key: e.roomId, value: JSON.stringify(e) })));
  await waitFor(() => events.every((e) => accepted.some((a) => a.id === e.id) || rejected.some((r) => r.id === e.id)), `verdicts on "${text}"`, 30000);
  return events;
}

beforeAll(async () => {
  bus = new KafkaMessageBus({ brokers: infra.kafkaBrokers, clientId: id, logger: silentLogger() });
  await bus.ensureTopics([{ name: topics.chatIngested }, { name: topics.chatAccepted }, { name: topics.chatRejected }, { name: topics.moderation }]);
  collector = await bus.subscribe({
    groupId: `${id}.collector`,
    topics: [topics.chatAccepted, topics.chatRejected, topics.moderation],
    fromBeginning: true,
    handler: async (batch: BusRecord[]) => {
      for (const r of batch) {
        const value: unknown = JSON.parse(r.value.toString());
        if (r.topic === topics.chatAccepted) accepted.push(ChatAcceptedV1.parse(value));
        else if (r.topic === topics.moderation) moderation.push(ModerationEventV1.parse(value));
        else rejected.push(ChatRejectedV1.parse(value));
      }
    },
  });
  await collector.ready;
  const env = (instance: string): Record<string, string> => ({
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: `${id}.`,
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: `${id}:`,
    MONGO_URL: infra.mongoUrl,
    MONGO_DB: dbName,
    FILTER_GROUP_ID: `${id}.filter`,
    FILTER_INSTANCE_ID: instance,
    FILTER_ADMIN_TOKEN: TOKEN,
    JWT_SECRET,
    FILTER_BLOCKED_WORDS: 'badword',
    FILTER_RELOAD_DEBOUNCE_MS: '50',
    // No version poll: the other instance can only learn of the change from the announcement.
    FILTER_DICTIONARY_POLL_MS: '0',
  });
  // allSettled: if one instance fails to start, the other is still stopped in afterAll.
  const started = await Promise.allSettled([startService('filter-a', 'filter', env('a')), startService('filter-b', 'filter', env('b'))]);
  for (const r of started) if (r.status === 'fulfilled') instances.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  // Both are in the message group now; wait until the group has settled on both of them.
  await sendToEveryRoom('warm up');
});

afterAll(async () => {
  await Promise.all(instances.map((p) => p.stop()));
  await collector?.stop();
  await bus?.close();
  const client = await new MongoClient(infra.mongoUrl).connect();
  await client.db(dbName).dropDatabase();
  await client.close();
});

it('a word added through one instance is rejected by both; removed through the other, accepted by both', async () => {
  const [a, b] = instances as [ServiceProcess, ServiceProcess];
  const before = await sendToEveryRoom('try scamword today');
  for (const e of before) expect(accepted.some((m) => m.id === e.id)).toBe(true);
  expect(await readyVersion(a)).toBe(0);
  expect(await readyVersion(b)).toBe(0);

  const put = await admin(a, 'POST', '/dictionary/entries', { word: 'scamword', policy: 'reject', category: 'scam' });
  expect(put).toEqual({ status: 200, body: { roomId: null, version: 1, changed: true } });
  await waitFor(async () => (await readyVersion(a)) === 1 && (await readyVersion(b)) === 1, 'both instances at version 1', 20000, 100);

  const rejectedBefore = [await metric(a, 'roomcast_filter_rejected_total'), await metric(b, 'roomcast_filter_rejected_total')];
  const after = await sendToEveryRoom('try s.c.a.m.w.o.r.d today');
  for (const e of after) expect(rejected.find((r) => r.id === e.id)).toMatchObject({ reason: 'scam', clientMsgId: e.clientMsgId });
  // Each process rejected some: the change reached both, not just the one that made it.
  expect((await metric(a, 'roomcast_filter_rejected_total')) - (rejectedBefore[0] ?? 0)).toBeGreaterThan(0);
  expect((await metric(b, 'roomcast_filter_rejected_total')) - (rejectedBefore[1] ?? 0)).toBeGreaterThan(0);
  for (const r of rejected) expect(JSON.stringify(r)).not.toContain('scamword');

  const del = await admin(b, 'DELETE', '/dictionary/entries', { word: 'scamword' });
  expect(del).toEqual({ status: 200, body: { roomId: null, version: 2, changed: true } });
  await waitFor(async () => (await readyVersion(a)) === 2 && (await readyVersion(b)) === 2, 'both instances at version 2', 20000, 100);
  // Both separate processes rebuilt in their compile worker thread (tsx-run TypeScript included).
  for (const p of [a, b]) {
    const ready = (await (await fetch(`http://127.0.0.1:${p.port}/readyz`)).json()) as { dictionary?: { compiledIn?: string } };
    expect(ready.dictionary?.compiledIn).toBe('worker');
  }
  const again = await sendToEveryRoom('try scamword today');
  for (const e of again) expect(accepted.some((m) => m.id === e.id)).toBe(true);

  // Seqs stayed gapless per room: rejections took none.
  for (const room of ROOMS) {
    const seqs = accepted.filter((m) => m.roomId === room).map((m) => m.seq).sort((x, y) => x - y);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  }
});

it('review: a held message is listed by both instances, approved through one with the next seq, denied through the other', async () => {
  const [a, b] = instances as [ServiceProcess, ServiceProcess];
  const room = 'room-3';
  const add = await admin(a, 'POST', '/dictionary/entries', { word: 'pillsale', policy: 'review', category: 'spam' });
  expect(add).toMatchObject({ status: 200, body: { version: 3, changed: true } });
  await waitFor(async () => (await readyVersion(a)) === 3 && (await readyVersion(b)) === 3, 'both instances at version 3', 20000, 100);

  const hold = async (text: string): Promise<ChatIngestedV1> => {
    const now = Date.now();
    const e: ChatIngestedV1 = { id: uniqueId('msg'), roomId: room, userId: 'u2', clientMsgId: uniqueId('c'), text, sentAt: now, gatewayId: 'gw', submittedAt: now, ingestedAt: now };
    await bus.publish(topics.chatIngested, [{ key: room, value: JSON.stringify(e) }]);
    return e;
  };
  const pending = async (p: ServiceProcess): Promise<{ id: string; text: string; categories: string[] }[]> =>
    ((await admin(p, 'GET', `/review?roomId=${room}`, undefined)).body as { items: { id: string; text: string; categories: string[] }[] }).items;

  const first = await hold('cheap p i l l s a l e here');
  const second = await hold('more pillsale');
  // Held in MongoDB, so either instance lists both, oldest first; nothing was published for them.
  await waitFor(async () => (await pending(b)).length === 2, 'two held messages', 30000, 100);
  expect((await pending(a)).map((i) => i.id)).toEqual([first.id, second.id]);
  expect((await pending(b))[0]).toMatchObject({ id: first.id, text: first.text, categories: ['spam'] });
  expect(accepted.some((m) => m.id === first.id) || rejected.some((r) => r.id === first.id)).toBe(false);

  // Meanwhile the room goes on: a clean message takes the next seq.
  const seqsBefore = accepted.filter((m) => m.roomId === room).map((m) => m.seq);
  const lastSeq = Math.max(0, ...seqsBefore);

  const approved = await admin(b, 'POST', `/review/${first.id}/approve`, {});
  expect(approved).toMatchObject({ status: 200, body: { id: first.id, status: 'approved', published: true, seq: lastSeq + 1 } });
  await waitFor(() => accepted.some((m) => m.id === first.id), 'approved message accepted', 30000);
  expect(accepted.filter((m) => m.id === first.id)).toEqual([expect.objectContaining({ roomId: room, seq: lastSeq + 1, text: first.text })]);
  // Approving again through the other instance publishes nothing more.
  expect(await admin(a, 'POST', `/review/${first.id}/approve`, {})).toMatchObject({ status: 200, body: { status: 'approved', seq: lastSeq + 1 } });

  const denied = await admin(a, 'POST', `/review/${second.id}/deny`, { reason: 'spam' });
  expect(denied).toMatchObject({ status: 200, body: { id: second.id, status: 'denied' } });
  await waitFor(() => rejected.some((r) => r.id === second.id), 'denied message rejected', 30000);
  expect(rejected.filter((r) => r.id === second.id)).toEqual([expect.objectContaining({ reason: 'spam', clientMsgId: second.clientMsgId })]);
  expect(await admin(b, 'POST', `/review/${second.id}/approve`, {})).toMatchObject({ status: 409, body: { code: 'REVIEW_ALREADY_DECIDED' } });
  expect(await pending(a)).toEqual([]);

  // The room's seqs are still gapless and unique: the held messages took none until approval.
  await sendToEveryRoom('after review');
  const seqs = accepted.filter((m) => m.roomId === room).map((m) => m.seq).sort((x, y) => x - y);
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  expect(accepted.filter((m) => m.id === first.id)).toHaveLength(1);
});

it('room words: a host granted in MongoDB adds a word through one instance; it rejects in that room only, and the audit event is published', async () => {
  const [a] = instances as [ServiceProcess, ServiceProcess];
  const room = 'room-5';
  const roles = new MongoRoomRoleStore({ uri: infra.mongoUrl, dbName, logger: silentLogger() });
  try {
    await roles.init();
    await roles.set(room, 'hana', 'host', 'admin', Date.now());
  } finally {
    await roles.close();
  }
  const host = await signUserToken(JWT_SECRET, 'hana');
  const call = async (method: string, roomId: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${a.port}/rooms/${roomId}/words`, { method, headers: { authorization: `Bearer ${host}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  expect(await call('POST', 'room-6', { word: 'hostword' })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
  expect(await call('POST', room, { word: 'hostword' })).toEqual({ status: 200, body: { roomId: room, version: 1, changed: true } });

  // The room's records go to one instance of the two; either learns of the change (locally or announced).
  let last: ChatIngestedV1[] = [];
  await waitFor(
    async () => {
      last = await sendToEveryRoom('a hostword here');
      return rejected.some((r) => r.id === last.find((e) => e.roomId === room)?.id);
    },
    'the room word rejecting in its room',
    30000,
    200,
  );
  for (const e of last) if (e.roomId !== room) expect(accepted.some((m) => m.id === e.id)).toBe(true);
  await waitFor(() => moderation.length > 0, 'the room-words audit event', 20000);
  expect(moderation).toEqual([expect.objectContaining({ roomId: room, actorId: 'hana', actorRole: 'host', action: { kind: 'room-words', added: ['hostword'], removed: [] } })]);
});
