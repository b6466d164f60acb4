import type { Server } from 'node:http';
import { createTokenVerifier, signUserToken } from '@roomcast/auth';
import { InMemoryMessageBus, type BusRecord } from '@roomcast/bus';
import {
  ChatAcceptedV1,
  ChatRejectedV1,
  FilterDictionaryChangedV1,
  ModerationEventV1,
  resolveFilterTopics,
  resolveTopics,
  type ChatIngestedV1,
  type TopicNames,
} from '@roomcast/contracts';
import { silentLogger } from '@roomcast/logger';
import { InMemorySequencerBackend } from '@roomcast/sequencer';
import { closeServer, createHttpApp, listen, MetricsRegistry } from '@roomcast/service-kit';
import { InMemoryDictionaryStore, InMemoryReviewStore, InMemoryRoomRoleStore } from '@roomcast/store';
import { uniqueId, waitFor } from '@roomcast/testing';
import { MAX_ROOM_ENTRIES } from './admin';
import { createFilterApp, type FilterApp } from './app';
import type { BaseDictionary } from './dictionary';

const TOKEN = 'test-admin-token-0123456789';
/** HS256 secret of the user tokens (the gateway's). */
const JWT_SECRET = 'test-jwt-secret-0123456789';
const BASE: BaseDictionary = {
  entries: [
    { word: 'badword', policy: 'reject', category: 'blocked' },
    { word: 'darn', policy: 'mask' },
    { word: '赌博', policy: 'reject', category: 'gambling' },
    { word: 'cheap pills', policy: 'review', category: 'spam' },
  ],
  allow: [],
};

interface Instance {
  app: FilterApp;
  metrics: MetricsRegistry;
  server: Server;
  url: string;
}

/** Shared twins (one "cluster"), any number of filter instances on them, and collectors of the outputs. */
interface World {
  bus: InMemoryMessageBus;
  seq: InMemorySequencerBackend;
  dictionaryStore: InMemoryDictionaryStore;
  reviewStore: InMemoryReviewStore;
  roles: InMemoryRoomRoleStore;
  topics: TopicNames;
  dictionaryTopic: string;
  groupId: string;
  accepted: ChatAcceptedV1[];
  rejected: ChatRejectedV1[];
  announcements: FilterDictionaryChangedV1[];
  /** room.moderation.applied.v1: the room words API's audit events. */
  moderation: ModerationEventV1[];
  instances: Instance[];
}

let w: World;

async function collect<T>(topic: string, parse: (v: unknown) => T, into: T[]): Promise<void> {
  const sub = await w.bus.subscribe({
    groupId: uniqueId('collector'),
    topics: [topic],
    fromBeginning: true,
    handler: async (batch: BusRecord[]) => {
      for (const r of batch) into.push(parse(JSON.parse(r.value.toString())));
    },
  });
  await sub.ready;
}

async function startInstance(options: { adminToken?: string | undefined; base?: BaseDictionary; reloadDebounceMs?: number } = {}): Promise<Instance> {
  const metrics = new MetricsRegistry();
  const app = createFilterApp({
    bus: w.bus,
    sequencer: w.seq.sequencer,
    dictionaryStore: w.dictionaryStore,
    reviewStore: w.reviewStore,
    base: options.base ?? BASE,
    logger: silentLogger(),
    topics: w.topics,
    dictionaryTopic: w.dictionaryTopic,
    groupId: w.groupId,
    instanceId: uniqueId('inst'),
    adminToken: 'adminToken' in options ? options.adminToken : TOKEN,
    verifyToken: createTokenVerifier({ hs256Secret: JWT_SECRET }),
    roles: w.roles,
    // No version poll: a second instance can only learn of a change from the announcement.
    tuning: { reloadDebounceMs: options.reloadDebounceMs ?? 20, pollIntervalMs: 0, approveWaitMs: 2000 },
    metrics,
  });
  await app.start();
  const http = createHttpApp({ readiness: app.readiness, logger: silentLogger(), metrics, routers: [app.router], info: app.info });
  const { server, port } = await listen(http, 0, '127.0.0.1');
  const instance = { app, metrics, server, url: `http://127.0.0.1:${port}` };
  w.instances.push(instance);
  return instance;
}

beforeEach(async () => {
  const prefix = `${uniqueId('filter')}.`;
  w = {
    bus: new InMemoryMessageBus(),
    seq: new InMemorySequencerBackend(),
    dictionaryStore: new InMemoryDictionaryStore(),
    reviewStore: new InMemoryReviewStore(),
    roles: new InMemoryRoomRoleStore(),
    topics: resolveTopics(prefix),
    dictionaryTopic: resolveFilterTopics(prefix).dictionaryChanged,
    groupId: uniqueId('filter'),
    accepted: [],
    rejected: [],
    announcements: [],
    moderation: [],
    instances: [],
  };
  await w.bus.ensureTopics([{ name: w.topics.chatAccepted }, { name: w.topics.chatRejected }, { name: w.dictionaryTopic, partitions: 1 }, { name: w.topics.moderation }]);
  await collect(w.topics.chatAccepted, (v) => ChatAcceptedV1.parse(v), w.accepted);
  await collect(w.topics.chatRejected, (v) => ChatRejectedV1.parse(v), w.rejected);
  await collect(w.dictionaryTopic, (v) => FilterDictionaryChangedV1.parse(v), w.announcements);
  await collect(w.topics.moderation, (v) => ModerationEventV1.parse(v), w.moderation);
});

afterEach(async () => {
  for (const i of w.instances) {
    await closeServer(i.server);
    await i.app.stop();
  }
  await w.bus.close();
});

let n = 0;
async function send(roomId: string, text: string, clientMsgId = `c-${++n}`, extra: Partial<ChatIngestedV1> = {}): Promise<ChatIngestedV1> {
  const now = Date.now();
  const event: ChatIngestedV1 = { id: uniqueId('msg'), roomId, userId: 'sender', clientMsgId, text, sentAt: now, gatewayId: 'gw-a', submittedAt: now, ingestedAt: now, ...extra };
  await w.bus.publish(w.topics.chatIngested, [{ key: roomId, value: JSON.stringify(event) }]);
  return event;
}

const acceptedOf = (id: string) => w.accepted.filter((m) => m.id === id);
const rejectedOf = (id: string) => w.rejected.filter((m) => m.id === id);
const settled = (e: ChatIngestedV1) => waitFor(() => acceptedOf(e.id).length + rejectedOf(e.id).length > 0, `a verdict on "${e.text}"`, 20000);

async function api(i: Instance, method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${i.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('filter app: policies', () => {
  it('masks mask words and numbers accepted messages gaplessly', async () => {
    await startInstance();
    const a = await send('room-1', 'hello');
    const b = await send('room-1', 'well DARN it');
    const c = await send('room-1', 'well d.a.r.n it');
    await settled(c);
    await settled(b);
    await settled(a);
    expect(w.accepted.map((m) => [m.text, m.masked, m.seq])).toEqual([
      ['hello', false, 1],
      ['well **** it', true, 2],
      ['well ******* it', true, 3],
    ]);
  });

  it('passes on the kind, data, priority, replyTo and mentions of what it accepts', async () => {
    await startInstance();
    const gift = await send('room-1', 'sent 2 × rose', undefined, { kind: 'gift', priority: 'high', data: { giftId: 'rose', count: 2, combo: { id: 'm0', count: 5 } } });
    const reply = await send('room-1', 'hi @ann', undefined, { replyTo: 1, mentions: ['ann'] });
    await settled(gift);
    await settled(reply);
    expect(acceptedOf(gift.id)[0]).toMatchObject({ kind: 'gift', priority: 'high', data: { giftId: 'rose', count: 2, combo: { id: 'm0', count: 5 } } });
    expect(acceptedOf(reply.id)[0]).toMatchObject({ replyTo: 1, mentions: ['ann'] });
    expect(acceptedOf(reply.id)[0]?.kind).toBeUndefined();
  });

  it('rejects with the category, never the word, and spends no seq', async () => {
    await startInstance();
    const a = await send('room-1', 'buy this badword now');
    const b = await send('room-1', '来赌🎲博吧');
    const c = await send('room-1', 'fine');
    await settled(c);
    expect(rejectedOf(a.id)).toEqual([expect.objectContaining({ reason: 'blocked', clientMsgId: a.clientMsgId, userId: 'sender', roomId: 'room-1' })]);
    expect(rejectedOf(b.id)).toEqual([expect.objectContaining({ reason: 'gambling' })]);
    for (const r of w.rejected) {
      expect(JSON.stringify(r)).not.toMatch(/badword|赌|博/);
    }
    expect(acceptedOf(c.id)).toEqual([expect.objectContaining({ seq: 1, text: 'fine' })]);
  });

  it('keeps a room event\'s kind and data, and a chat\'s replyTo and mentions, on the accepted message', async () => {
    await startInstance();
    const now = Date.now();
    const base = { roomId: 'room-1', userId: 'host', sentAt: now, gatewayId: 'gw-a', submittedAt: now, ingestedAt: now };
    const pin: ChatIngestedV1 = { ...base, id: uniqueId('msg'), clientMsgId: 'pin:1', text: 'sale at 8', kind: 'pin', data: { cleared: false }, priority: 'high' };
    const reply: ChatIngestedV1 = { ...base, id: uniqueId('msg'), clientMsgId: 'c-r', text: 'yes', replyTo: 1, mentions: ['ann'] };
    await w.bus.publish(w.topics.chatIngested, [pin, reply].map((e) => ({ key: e.roomId, value: JSON.stringify(e) })));
    await settled(reply);
    expect(acceptedOf(pin.id)).toEqual([expect.objectContaining({ kind: 'pin', data: { cleared: false }, priority: 'high', seq: 1 })]);
    expect(acceptedOf(reply.id)).toEqual([expect.objectContaining({ replyTo: 1, mentions: ['ann'], seq: 2 })]);
  });

  it('refuses an oversized text before matching, with reason text-too-long', async () => {
    await startInstance();
    const long = await send('room-1', 'x'.repeat(2001));
    const ok = await send('room-1', 'x'.repeat(2000));
    await settled(ok);
    expect(rejectedOf(long.id)).toEqual([expect.objectContaining({ reason: 'text-too-long' })]);
    expect(acceptedOf(ok.id)).toEqual([expect.objectContaining({ seq: 1 })]);
  });
});

describe('filter app: review queue', () => {
  it('holds a review message; approving it publishes it once, with the next seq at approval time', async () => {
    const i = await startInstance();
    const first = await send('room-1', 'one');
    const held = await send('room-1', 'get CHEAP   PILLS here, darn');
    const third = await send('room-1', 'three');
    await settled(third);
    expect(acceptedOf(first.id)[0]?.seq).toBe(1);
    expect(acceptedOf(third.id)[0]?.seq).toBe(2);
    expect(acceptedOf(held.id)).toEqual([]);
    expect(rejectedOf(held.id)).toEqual([]);

    const list = await api(i, 'GET', '/review?roomId=room-1');
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: held.id, status: 'pending', categories: ['spam'], words: ['cheap pills'], text: held.text, maskedText: 'get CHEAP   PILLS here, ****' }),
    ]);
    expect((await api(i, 'GET', '/review?roomId=room-2')).body.items).toEqual([]);

    const approved = await api(i, 'POST', `/review/${held.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ id: held.id, status: 'approved', published: true, seq: 3 });
    expect(acceptedOf(held.id)).toEqual([expect.objectContaining({ seq: 3, text: 'get CHEAP   PILLS here, ****', masked: true, clientMsgId: held.clientMsgId })]);

    // Idempotent: approving again publishes nothing more; the queue is empty.
    const again = await api(i, 'POST', `/review/${held.id}/approve`);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'approved', seq: 3 });
    const later = await send('room-1', 'four');
    await settled(later);
    expect(acceptedOf(held.id)).toHaveLength(1);
    expect(acceptedOf(later.id)[0]?.seq).toBe(4);
    expect((await api(i, 'GET', '/review')).body.items).toEqual([]);

    const deny = await api(i, 'POST', `/review/${held.id}/deny`, {});
    expect(deny.status).toBe(409);
    expect(deny.body).toEqual({ code: 'REVIEW_ALREADY_DECIDED', message: expect.any(String), temporary: false });
  });

  it('denying sends the sender a rejection (default reason denied) once; approving after that conflicts', async () => {
    const i = await startInstance();
    const a = await send('room-1', 'cheap pills');
    const b = await send('room-1', 'more cheap pills');
    await waitFor(async () => (await w.reviewStore.listPending()).length === 2, 'two held messages', 20000);

    expect((await api(i, 'POST', `/review/${a.id}/deny`)).status).toBe(200);
    expect((await api(i, 'POST', `/review/${b.id}/deny`, { reason: 'spam' })).status).toBe(200);
    await waitFor(() => w.rejected.length === 2, 'two rejections', 20000);
    expect(rejectedOf(a.id)).toEqual([expect.objectContaining({ reason: 'denied', userId: 'sender' })]);
    expect(rejectedOf(b.id)).toEqual([expect.objectContaining({ reason: 'spam' })]);

    expect((await api(i, 'POST', `/review/${a.id}/deny`)).status).toBe(200);
    const approve = await api(i, 'POST', `/review/${a.id}/approve`);
    expect(approve.status).toBe(409);
    expect(approve.body.code).toBe('REVIEW_ALREADY_DECIDED');
    expect((await api(i, 'POST', '/review/no-such-id/approve')).body.code).toBe('NOT_FOUND');
    expect((await api(i, 'POST', `/review/${b.id}/deny`, { reason: 'Has Spaces' })).body.code).toBe('BAD_REQUEST');
    // Nothing was published twice, nothing accepted.
    const late = await send('room-1', 'barrier');
    await settled(late);
    expect(w.rejected).toHaveLength(2);
    expect(w.accepted.map((m) => m.id)).toEqual([late.id]);
  });

  it('a forged approval header on a message nobody approved gets no pass', async () => {
    await startInstance();
    const now = Date.now();
    const event: ChatIngestedV1 = { id: uniqueId('msg'), roomId: 'room-1', userId: 'u', clientMsgId: 'forged', text: 'badword', sentAt: now, gatewayId: 'g', submittedAt: now, ingestedAt: now };
    await w.bus.publish(w.topics.chatIngested, [{ key: 'room-1', value: JSON.stringify(event), headers: { 'x-roomcast-review-approved': '1' } }]);
    await settled(event);
    expect(rejectedOf(event.id)).toEqual([expect.objectContaining({ reason: 'blocked' })]);
  });
});

describe('filter app: admin API protection', () => {
  it('needs the bearer token; without a configured token the API is off', async () => {
    const i = await startInstance();
    const none = await api(i, 'GET', '/dictionary', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String), temporary: false });
    expect((await api(i, 'POST', '/dictionary/entries', { word: 'x', policy: 'mask' }, 'wrong-token')).status).toBe(401);
    expect((await api(i, 'GET', '/review', undefined, 'wrong-token')).body.code).toBe('UNAUTHORIZED');
    expect((await api(i, 'GET', '/dictionary')).status).toBe(200);

    const off = await startInstance({ adminToken: undefined });
    const r = await api(off, 'GET', '/review');
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('ADMIN_DISABLED');
    // The unauthorized write changed nothing.
    expect((await w.dictionaryStore.load()).entries).toEqual([]);
  });

  it('rate-limits a client past the admin burst with 429 RATE_LIMITED, counted in roomcast_rate_limited_total', async () => {
    const i = await startInstance();
    // 40 at once: the burst is 30, the refill 10/s.
    const statuses = (await Promise.all(Array.from({ length: 40 }, () => api(i, 'GET', '/dictionary')))).map((r) => r.status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(i.metrics.snapshot()['roomcast_rate_limited_total{service="filter",limit="admin"}']).toBe(statuses.filter((s) => s === 429).length);
  });

  it('validates entries: bad bodies 400 BAD_REQUEST, unusable words DICTIONARY_INVALID, absent words 404', async () => {
    const i = await startInstance();
    expect((await api(i, 'POST', '/dictionary/entries', { word: 'x', policy: 'explode' })).body.code).toBe('BAD_REQUEST');
    expect((await api(i, 'POST', '/dictionary/entries', { word: 'x', policy: 'mask', category: 'No Spaces' })).body.code).toBe('BAD_REQUEST');
    expect((await api(i, 'POST', '/dictionary/entries', { word: 'x', policy: 'mask', roomId: 'bad room' })).body.code).toBe('BAD_REQUEST');
    const unusable = await api(i, 'POST', '/dictionary/entries', { word: '***', policy: 'reject' });
    expect(unusable.status).toBe(400);
    expect(unusable.body.code).toBe('DICTIONARY_INVALID');
    const absent = await api(i, 'DELETE', '/dictionary/entries', { word: 'badword' });
    expect(absent.status).toBe(404);
    expect(absent.body.code).toBe('NOT_FOUND');
    expect(w.announcements).toEqual([]);
    expect((await w.dictionaryStore.versions()).global).toBe(0);
  });
});

describe('filter app: dictionary hot reload', () => {
  /** Rooms spread over every partition, so both instances of the group handle some of them. */
  const ROOMS = Array.from({ length: 16 }, (_, k) => `room-${k}`);

  it('a change via one instance\'s admin API is announced and a SECOND instance starts rejecting the word, no restart', async () => {
    const a = await startInstance();
    const b = await startInstance();
    const before = await Promise.all(ROOMS.map((r) => send(r, 'new scamword here')));
    for (const e of before) await settled(e);
    expect(w.accepted).toHaveLength(ROOMS.length);

    const put = await api(a, 'POST', '/dictionary/entries', { word: 'scamword', policy: 'reject', category: 'scam' });
    expect(put).toEqual({ status: 200, body: { roomId: null, version: 1, changed: true } });
    await waitFor(() => w.announcements.length === 1, 'the announcement', 20000);
    expect(w.announcements[0]).toMatchObject({ roomId: null, version: 1, op: 'entry.put' });
    // B has no version poll here: only the announcement can have told it.
    await waitFor(() => (b.app.info().dictionary as { version: number }).version === 1, 'instance B at version 1', 20000);
    await waitFor(() => (a.app.info().dictionary as { version: number }).version === 1, 'instance A at version 1', 20000);

    const after = await Promise.all(ROOMS.map((r) => send(r, 'new scamword here')));
    for (const e of after) await settled(e);
    for (const e of after) expect(rejectedOf(e.id)).toEqual([expect.objectContaining({ reason: 'scam' })]);
    // Both instances did reject some (they split the rooms' partitions).
    expect(a.metrics.snapshot().roomcast_filter_rejected_total).toBeGreaterThan(0);
    expect(b.metrics.snapshot().roomcast_filter_rejected_total).toBeGreaterThan(0);

    // And removing it lets it through again, on both.
    expect((await api(b, 'DELETE', '/dictionary/entries', { word: 'scamword' })).body).toEqual({ roomId: null, version: 2, changed: true });
    await waitFor(() => [a, b].every((i) => (i.app.info().dictionary as { version: number }).version === 2), 'both at version 2', 20000);
    const again = await Promise.all(ROOMS.map((r) => send(r, 'new scamword here')));
    for (const e of again) await settled(e);
    for (const e of again) expect(acceptedOf(e.id)).toHaveLength(1);
  });

  it('coalesces a burst of changes into at most two rebuilds and ends at the last version', async () => {
    // A debounce window far longer than the burst takes to arrive, even on a loaded CI machine (with
    // 20 ms, ten requests spread over more than the window plus one build gave three rebuilds there).
    const a = await startInstance({ reloadDebounceMs: 500 });
    const b = await startInstance({ reloadDebounceMs: 500 });
    const reloads = (i: Instance) => i.metrics.snapshot().roomcast_filter_dictionary_reloads_total ?? 0;
    const startA = reloads(a);
    const startB = reloads(b);
    // A burst: ten admin calls at once (sequential calls may each outlast the debounce window).
    const puts = await Promise.all(Array.from({ length: 10 }, (_, k) => api(a, 'POST', '/dictionary/entries', { word: `burst${k}`, policy: 'mask' })));
    expect(puts.map((p) => p.status)).toEqual(Array(10).fill(200));
    await waitFor(() => [a, b].every((i) => (i.app.info().dictionary as { version: number }).version === 10), 'both at version 10', 20000);
    // the rebuilds ran in the compile worker, not on the event loop
    expect(b.app.info().dictionary).toMatchObject({ compiledIn: 'worker' });
    expect(reloads(b) - startB).toBeLessThanOrEqual(2);
    expect(reloads(a) - startA).toBeLessThanOrEqual(2);
    const m = await send('room-1', 'a burst9 b');
    await settled(m);
    expect(acceptedOf(m.id)[0]?.text).toBe('a ****** b');
  });

  it('allow-list words added through the API apply everywhere', async () => {
    const a = await startInstance();
    await api(a, 'POST', '/dictionary/entries', { word: '台独', policy: 'reject', category: 'politics' });
    await waitFor(() => (a.app.info().dictionary as { version: number }).version === 1, 'version 1', 20000);
    const blocked = await send('room-1', '平台独家优惠');
    await settled(blocked);
    expect(rejectedOf(blocked.id)).toEqual([expect.objectContaining({ reason: 'politics' })]);
    await api(a, 'POST', '/dictionary/allow', { word: '平台独家' });
    await waitFor(() => (a.app.info().dictionary as { version: number }).version === 2, 'version 2', 20000);
    const ok = await send('room-1', '平台独家优惠');
    await settled(ok);
    expect(acceptedOf(ok.id)).toHaveLength(1);
    const listed = await api(a, 'GET', '/dictionary');
    expect(listed.body).toMatchObject({ roomId: null, version: 2, entries: [{ word: '台独', policy: 'reject', category: 'politics' }], allow: ['平台独家'], base: { entries: 4, allow: 0 } });
  });
});

describe('filter app: per-room dictionaries', () => {
  it('a room entry applies in that room only, on every instance, layered over the global words', async () => {
    const a = await startInstance();
    const b = await startInstance();
    // Before the change neither room has words of its own: both use the global filter.
    const warm = await Promise.all(['vip', 'lobby'].map((r) => send(r, 'warm')));
    for (const e of warm) await settled(e);
    const put = await api(a, 'POST', '/dictionary/entries', { word: 'spoiler', policy: 'mask', roomId: 'vip' });
    expect(put.body).toEqual({ roomId: 'vip', version: 1, changed: true });
    await waitFor(() => w.announcements.some((e) => e.roomId === 'vip'), 'the room announcement', 20000);
    expect(w.announcements[0]?.version).toBe(1);

    const inRoom = await send('vip', 'no spoiler please, darn');
    const elsewhere = await send('lobby', 'no spoiler please, darn');
    await settled(inRoom);
    await settled(elsewhere);
    expect(acceptedOf(inRoom.id)[0]?.text).toBe('no ******* please, ****');
    expect(acceptedOf(elsewhere.id)[0]?.text).toBe('no spoiler please, ****');
    // A global reject still wins in the room; the global version did not move.
    const rejected = await send('vip', 'spoiler badword');
    await settled(rejected);
    expect(rejectedOf(rejected.id)).toEqual([expect.objectContaining({ reason: 'blocked' })]);
    for (const i of [a, b]) expect((i.app.info().dictionary as { version: number }).version).toBe(0);

    const room = await api(b, 'GET', '/dictionary?roomId=vip');
    expect(room.body).toMatchObject({ roomId: 'vip', version: 1, entries: [{ word: 'spoiler', policy: 'mask' }] });
  });

  it("a room's allow word un-lists a global word in that room only", async () => {
    const a = await startInstance();
    await api(a, 'POST', '/dictionary/entries', { word: '台独', policy: 'reject', category: 'politics' });
    await waitFor(() => (a.app.info().dictionary as { version: number }).version === 1, 'global version 1', 20000);
    const put = await api(a, 'POST', '/dictionary/allow', { word: '平台独家', roomId: 'shop' });
    expect(put.body).toEqual({ roomId: 'shop', version: 1, changed: true });
    await waitFor(() => w.announcements.some((e) => e.roomId === 'shop'), 'the room announcement', 20000);

    const inShop = await send('shop', '平台独家优惠');
    const elsewhere = await send('lobby', '平台独家优惠');
    const stillBlocked = await send('shop', '台独 平台独家');
    for (const e of [inShop, elsewhere, stillBlocked]) await settled(e);
    expect(acceptedOf(inShop.id)).toEqual([expect.objectContaining({ text: '平台独家优惠' })]);
    expect(rejectedOf(elsewhere.id)).toEqual([expect.objectContaining({ reason: 'politics' })]);
    expect(rejectedOf(stillBlocked.id)).toEqual([expect.objectContaining({ reason: 'politics' })]);
  });
});

describe('filter app: room overlays across global reloads', () => {
  it('keeps compiled rooms over a global entry change, recompiles them when the global allow words change; a big room compiles in the worker', async () => {
    for (let k = 0; k < 250; k++) await w.dictionaryStore.putEntry({ word: `hostword${k}`, policy: 'reject', category: 'host', roomId: 'big' });
    await w.dictionaryStore.putEntry({ word: '台独', policy: 'reject', category: 'politics', roomId: 'small' });
    const i = await startInstance();
    const builds = () => (i.app.info().dictionary as { rooms: { builds: { inline: number; worker: number } } }).rooms.builds;
    const version = () => (i.app.info().dictionary as { version: number }).version;
    const round = async (): Promise<ChatIngestedV1[]> => {
      const sent = [await send('big', 'a hostword249 here'), await send('small', '平台独家优惠'), await send('small', 'a newword')];
      for (const e of sent) await settled(e);
      return sent;
    };

    let [big, small] = await round();
    expect(rejectedOf(big!.id)).toEqual([expect.objectContaining({ reason: 'host' })]);
    expect(rejectedOf(small!.id)).toEqual([expect.objectContaining({ reason: 'politics' })]);
    expect(builds()).toEqual({ inline: 1, worker: 1 });

    // A global entry: the rooms' filters are layered on the new global filter as they are.
    await api(i, 'POST', '/dictionary/entries', { word: 'newword', policy: 'reject', category: 'new' });
    await waitFor(() => version() === 1, 'global version 1', 20000);
    const [, , newWord] = await round();
    expect(rejectedOf(newWord!.id)).toEqual([expect.objectContaining({ reason: 'new' })]);
    expect(builds()).toEqual({ inline: 1, worker: 1 });

    // A global allow word applies inside the rooms' own words too: both rooms are compiled again.
    await api(i, 'POST', '/dictionary/allow', { word: '平台独家' });
    await waitFor(() => version() === 2, 'global version 2', 20000);
    [big, small] = await round();
    expect(rejectedOf(big!.id)).toEqual([expect.objectContaining({ reason: 'host' })]);
    expect(acceptedOf(small!.id)).toEqual([expect.objectContaining({ text: '平台独家优惠' })]);
    expect(builds()).toEqual({ inline: 2, worker: 2 });
  });
});

describe('filter app: unusable words', () => {
  it('leaves out a store word the engine cannot use (written past the admin API) and keeps the rest, global and per room', async () => {
    await w.dictionaryStore.putEntry({ word: '***', policy: 'reject', category: 'junk' });
    await w.dictionaryStore.putEntry({ word: 'scamword', policy: 'reject', category: 'scam' });
    await w.dictionaryStore.addAllow({ word: '...' });
    await w.dictionaryStore.putEntry({ word: '!!!', policy: 'reject', roomId: 'room-7' });
    await w.dictionaryStore.putEntry({ word: 'roomword', policy: 'reject', category: 'host', roomId: 'room-7' });
    const i = await startInstance();
    expect(i.app.info().dictionary).toMatchObject({ managedEntries: 2, compiledIn: 'worker' });
    const a = await send('room-1', 'a scamword here');
    const b = await send('room-7', 'and a roomword');
    const c = await send('room-7', 'scamword too');
    const d = await send('room-7', 'all fine');
    await settled(d);
    expect(rejectedOf(a.id)).toEqual([expect.objectContaining({ reason: 'scam' })]);
    expect(rejectedOf(b.id)).toEqual([expect.objectContaining({ reason: 'host' })]);
    expect(rejectedOf(c.id)).toEqual([expect.objectContaining({ reason: 'scam' })]);
    expect(acceptedOf(d.id)).toEqual([expect.objectContaining({ seq: 1 })]);
  });

  it('refuses to start on an unusable base word, naming only the base words', async () => {
    await w.dictionaryStore.putEntry({ word: '***', policy: 'reject' });
    const err: unknown = await startInstance({ base: { entries: [{ word: 'fine', policy: 'mask' }, { word: '!!!', policy: 'reject' }], allow: [] } }).then(
      () => new Error('expected the start to fail'),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BAD_DICTIONARY', details: { badEntries: [1], badAllow: [] } });
    expect((err as { details: { problems: string[] } }).details.problems).toEqual([expect.stringContaining('"!!!"')]);
  });
});

describe('filter app: the room words API (room hosts)', () => {
  const user = (userId: string, roles?: Record<string, 'moderator' | 'host'>) => signUserToken(JWT_SECRET, userId, 3600, { roles });
  const version = (i: Instance) => (i.app.info().dictionary as { version: number }).version;
  const eventsOf = (roomId: string) => w.moderation.filter((e) => e.roomId === roomId);

  it('a host by token claim adds a room word (reject by default): it rejects in that room only; removing it restores it; one audit event per change', async () => {
    const i = await startInstance();
    const host = await user('hana', { 'show-1': 'host' });
    const put = await api(i, 'POST', '/rooms/show-1/words', { word: 'Spoilerz' }, host);
    expect(put).toEqual({ status: 200, body: { roomId: 'show-1', version: 1, changed: true } });
    // The same word again changes nothing: no second event.
    expect((await api(i, 'POST', '/rooms/show-1/words', { word: 'Spoilerz' }, host)).body).toEqual({ roomId: 'show-1', version: 1, changed: false });
    await waitFor(() => w.announcements.some((e) => e.roomId === 'show-1'), 'the room announcement', 20000);

    const inRoom = await send('show-1', 'big spoilerz ahead');
    const elsewhere = await send('lobby', 'big spoilerz ahead');
    await settled(inRoom);
    await settled(elsewhere);
    expect(rejectedOf(inRoom.id)).toEqual([expect.objectContaining({ reason: 'blocked' })]);
    expect(acceptedOf(elsewhere.id)).toEqual([expect.objectContaining({ text: 'big spoilerz ahead' })]);
    expect(version(i)).toBe(0);

    const listed = await api(i, 'GET', '/rooms/show-1/words', undefined, host);
    expect(listed.body).toEqual({ roomId: 'show-1', version: 1, entries: [{ word: 'Spoilerz', policy: 'reject' }] });

    const del = await api(i, 'DELETE', '/rooms/show-1/words', { word: 'Spoilerz' }, host);
    expect(del).toEqual({ status: 200, body: { roomId: 'show-1', version: 2, changed: true } });
    await waitFor(() => w.announcements.some((e) => e.roomId === 'show-1' && e.version === 2), 'the removal announcement', 20000);
    const after = await send('show-1', 'big spoilerz ahead');
    await settled(after);
    expect(acceptedOf(after.id)).toHaveLength(1);

    await waitFor(() => eventsOf('show-1').length >= 2, 'two room-words events', 20000);
    expect(eventsOf('show-1')).toEqual([
      { id: expect.any(String), roomId: 'show-1', actorId: 'hana', actorRole: 'host', at: expect.any(Number), action: { kind: 'room-words', added: ['Spoilerz'], removed: [] } },
      { id: expect.any(String), roomId: 'show-1', actorId: 'hana', actorRole: 'host', at: expect.any(Number), action: { kind: 'room-words', added: [], removed: ['Spoilerz'] } },
    ]);
    expect(new Set(eventsOf('show-1').map((e) => e.id)).size).toBe(2);
  });

  it('a host granted in the room-admin store may too (mask, with a category); a host claim on another room is no host here', async () => {
    const i = await startInstance();
    await w.roles.set('show-2', 'sam', 'host', 'admin', Date.now());
    const sam = await user('sam', { 'show-1': 'host' });
    const put = await api(i, 'POST', '/rooms/show-2/words', { word: 'darnit', policy: 'mask', category: 'mild' }, sam);
    expect(put.body).toEqual({ roomId: 'show-2', version: 1, changed: true });
    await waitFor(() => w.announcements.some((e) => e.roomId === 'show-2'), 'the room announcement', 20000);
    const inRoom = await send('show-2', 'oh darnit');
    await settled(inRoom);
    expect(acceptedOf(inRoom.id)).toEqual([expect.objectContaining({ text: 'oh ******', masked: true })]);
    await waitFor(() => eventsOf('show-2').length === 1, 'the room-words event', 20000);
    expect(eventsOf('show-2')[0]).toMatchObject({ actorId: 'sam', actorRole: 'host', action: { added: ['darnit'], removed: [] } });

    // sam hosts show-1 by claim and show-2 by grant, not show-3.
    const other = await api(i, 'POST', '/rooms/show-3/words', { word: 'darnit' }, sam);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('FORBIDDEN');
  });

  it('viewers, moderators (claim or store) and hosts of other rooms get 403 FORBIDDEN, no or bad tokens 401; nothing is stored or published', async () => {
    const i = await startInstance();
    await w.roles.set('show-1', 'mo', 'moderator', 'admin', Date.now());
    const callers = [
      await user('viewer'),
      await user('mo'),
      await user('mod-claim', { 'show-1': 'moderator' }),
      await user('other-host', { 'show-2': 'host', 'show-1x*': 'host' }),
    ];
    for (const token of callers) {
      for (const [method, body] of [['GET', undefined], ['POST', { word: 'nope' }], ['DELETE', { word: 'nope' }]] as const) {
        const r = await api(i, method, '/rooms/show-1/words', body, token);
        expect({ method, status: r.status, code: r.body.code }).toEqual({ method, status: 403, code: 'FORBIDDEN' });
      }
    }
    const none = await api(i, 'POST', '/rooms/show-1/words', { word: 'nope' }, null);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('UNAUTHORIZED');
    const forged = await signUserToken('another-secret-0123456789', 'hana', 3600, { roles: { 'show-1': 'host' } });
    expect((await api(i, 'POST', '/rooms/show-1/words', { word: 'nope' }, forged)).body.code).toBe('UNAUTHORIZED');
    const expired = await signUserToken(JWT_SECRET, 'hana', -10, { roles: { 'show-1': 'host' } });
    expect((await api(i, 'POST', '/rooms/show-1/words', { word: 'nope' }, expired)).body.code).toBe('TOKEN_EXPIRED');
    // A host token is no admin token on the admin API.
    expect((await api(i, 'GET', '/dictionary', undefined, await user('hana', { 'show-1': 'host' }))).status).toBe(401);

    expect(await w.dictionaryStore.versions()).toEqual({ global: 0, rooms: new Map() });
    // A change that is allowed, in the same room (one partition): its event is the only one.
    await api(i, 'POST', '/rooms/show-1/words', { word: 'yes' }, TOKEN);
    await waitFor(() => eventsOf('show-1').length > 0, 'the admin change event', 20000);
    expect(w.moderation).toEqual([expect.objectContaining({ actorId: 'admin', actorRole: 'admin', action: { kind: 'room-words', added: ['yes'], removed: [] } })]);
  });

  it('the admin token may change any room; review entries stay the admin\'s, the global scope is out of reach', async () => {
    const i = await startInstance();
    const host = await user('hana', { 'show-1': 'host' });
    // Review is not a host's policy; scopes in the body, unknown fields, a bad room id: 400.
    for (const body of [{ word: 'x', policy: 'review' }, { word: 'x', roomId: 'show-2' }, { word: 'x', roomId: null }, { word: 'x', extra: 1 }, { word: '' }, { word: 'x', category: 'No Spaces' }, {}]) {
      const r = await api(i, 'POST', '/rooms/show-1/words', body, host);
      expect({ body, status: r.status, code: r.body.code }).toEqual({ body, status: 400, code: 'BAD_REQUEST' });
    }
    expect((await api(i, 'POST', '/rooms/bad%20room/words', { word: 'x' }, host)).body.code).toBe('BAD_REQUEST');
    expect((await api(i, 'DELETE', '/rooms/show-1/words', { word: 'x', roomId: 'show-2' }, host)).body.code).toBe('BAD_REQUEST');
    const unusable = await api(i, 'POST', '/rooms/show-1/words', { word: '***' }, host);
    expect(unusable.status).toBe(400);
    expect(unusable.body.code).toBe('DICTIONARY_INVALID');
    // Removing a base (global) word through the room: not the room's entry.
    const base = await api(i, 'DELETE', '/rooms/show-1/words', { word: 'badword' }, host);
    expect(base.status).toBe(404);
    expect(base.body.code).toBe('NOT_FOUND');
    expect(await w.dictionaryStore.versions()).toEqual({ global: 0, rooms: new Map() });

    // The admin puts a review entry in the room (admin API); the host may neither replace nor remove it.
    expect((await api(i, 'POST', '/dictionary/entries', { word: 'cheap', policy: 'review', roomId: 'show-1' })).status).toBe(200);
    for (const [method, body] of [['POST', { word: 'cheap', policy: 'mask' }], ['DELETE', { word: 'cheap' }]] as const) {
      const r = await api(i, method, '/rooms/show-1/words', body, host);
      expect({ method, status: r.status, code: r.body.code }).toEqual({ method, status: 403, code: 'FORBIDDEN' });
    }
    // The admin token works on the room API, in any room, and is audited as admin.
    const admin = await api(i, 'DELETE', '/rooms/show-1/words', { word: 'cheap' }, TOKEN);
    expect(admin.body).toEqual({ roomId: 'show-1', version: 2, changed: true });
    expect((await api(i, 'POST', '/rooms/show-9/words', { word: 'ninth' }, TOKEN)).body).toEqual({ roomId: 'show-9', version: 1, changed: true });
    await waitFor(() => w.moderation.length === 2, 'two admin events', 20000);
    expect(w.moderation.map((e) => [e.roomId, e.actorId, e.actorRole, e.action])).toEqual(
      expect.arrayContaining([
        ['show-1', 'admin', 'admin', { kind: 'room-words', added: [], removed: ['cheap'] }],
        ['show-9', 'admin', 'admin', { kind: 'room-words', added: ['ninth'], removed: [] }],
      ]),
    );
    expect((await w.dictionaryStore.versions()).global).toBe(0);
  });

  it('keeps the room entry cap, and rate-limits a client past the burst with 429 RATE_LIMITED, counted as limit="room-words"', async () => {
    for (let k = 0; k < MAX_ROOM_ENTRIES; k++) await w.dictionaryStore.putEntry({ word: `w${k}x`, policy: 'reject', roomId: 'full' });
    const i = await startInstance();
    const host = await user('hana', { full: 'host' });
    const over = await api(i, 'POST', '/rooms/full/words', { word: 'onemore' }, host);
    expect(over.status).toBe(400);
    expect(over.body.code).toBe('DICTIONARY_INVALID');
    // Replacing an entry the room has already is no new entry.
    expect((await api(i, 'POST', '/rooms/full/words', { word: 'w0x', policy: 'mask' }, host)).body).toMatchObject({ changed: true });

    // 40 at once: the burst is 30, the refill 10/s.
    const statuses = (await Promise.all(Array.from({ length: 40 }, () => api(i, 'GET', '/rooms/full/words', undefined, host)))).map((r) => r.status);
    const limited = statuses.filter((s) => s === 429).length;
    expect(limited).toBeGreaterThanOrEqual(5);
    expect(i.metrics.snapshot()['roomcast_rate_limited_total{service="filter",limit="room-words"}']).toBe(limited);
  });
});
