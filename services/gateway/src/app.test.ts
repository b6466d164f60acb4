import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createTokenVerifier, signUserToken } from '@roomcast/auth';
import { InMemoryMessageBus, type BusRecord, type OutgoingRecord } from '@roomcast/bus';
import {
  CLOSE_CODES,
  deliveryKey,
  ChatSubmittedV1,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  ServerFrame,
  resolveTopics,
  type ChatAcceptedV1,
  type GatewayDeliveryV1,
  type RolesClaim,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError } from '@roomcast/errors';
import { createLogger, silentLogger, type Logger } from '@roomcast/logger';
import { InMemoryQuestionBoard, LiveActions, questionFeatures } from '@roomcast/live';
import { InMemoryModerationStore } from '@roomcast/moderation';
import { InMemoryRoomStateHub } from '@roomcast/room-state';
import { InMemoryInboxCounters, InMemoryPresenceStore, type ConnectionKind, type InboxCounters } from '@roomcast/presence';
import { InMemoryRecentMessages, InMemorySequencerState, type RecentRange } from '@roomcast/sequencer';
import { closeServer, createHttpApp, listen } from '@roomcast/service-kit';
import { InMemoryInboxStore, InMemoryRoomRoleStore, type InboxStore } from '@roomcast/store';
import { traceIdOf } from '@roomcast/telemetry';
import { installInMemoryTracing } from '@roomcast/telemetry/sdk';
import { sleep, uniqueId, waitFor } from '@roomcast/testing';
import { createGatewayApp, type GatewayApp, type GatewayOptions } from './app';

const SECRET = 'gateway-test-secret';
/** Generous for a loaded 2-core machine; the happy path takes a few ms. */
const WAIT_MS = 5000;
const POLL_MS = 5;

// ------------------------------------------------------------------ twins with knobs

/** The in-memory bus, with a switch to fail or hold publishes (the gateway only publishes chat). */
class ControllableBus extends InMemoryMessageBus {
  failWith: AppError | undefined;
  hold: Promise<void> | undefined;

  override async publish(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (this.hold) await this.hold;
    return super.publish(topic, records);
  }
}

/** The in-memory presence store, with a delay on room registration and injectable read failures. */
class ControllablePresence extends InMemoryPresenceStore {
  touchDelayMs = 0;
  /** How many of the next addLikes / getLikes calls fail, as a Redis blip would. */
  addLikesFailures = 0;
  getLikesFailures = 0;

  /** While set, admitConnection fails as an unreachable Redis would. */
  connectionsDown = false;
  /** releaseConnection calls done, so a test can wait for a closed socket's slot to come back. */
  connectionReleases = 0;

  override async admitConnection(kind: ConnectionKind, id: string, gatewayId: string, cap: number, ttlMs: number): Promise<boolean> {
    if (this.connectionsDown) throw new AppError('PRESENCE_UNAVAILABLE', 'redis down');
    return super.admitConnection(kind, id, gatewayId, cap, ttlMs);
  }

  override async releaseConnection(kind: ConnectionKind, id: string, gatewayId: string): Promise<void> {
    await super.releaseConnection(kind, id, gatewayId);
    this.connectionReleases++;
  }

  override async touchRoomGateways(roomIds: string[], gatewayId: string, ttlMs: number): Promise<void> {
    if (this.touchDelayMs > 0) await sleep(this.touchDelayMs);
    return super.touchRoomGateways(roomIds, gatewayId, ttlMs);
  }

  override async addLikes(deltas: Map<string, number>): Promise<Map<string, number>> {
    if (this.addLikesFailures > 0) {
      this.addLikesFailures--;
      throw new AppError('PRESENCE_UNAVAILABLE', 'redis blip');
    }
    return super.addLikes(deltas);
  }

  override async getLikes(roomIds: string[]): Promise<Map<string, number>> {
    if (this.getLikesFailures > 0) {
      this.getLikesFailures--;
      throw new AppError('PRESENCE_UNAVAILABLE', 'redis blip');
    }
    return super.getLikes(roomIds);
  }
}

/** The in-memory recent-message cache, with a gate on reads and injectable read failures. */
class ControllableRecent extends InMemoryRecentMessages {
  readonly seqs: InMemorySequencerState;
  /** While set, `after` waits for it (a slow Redis) before reading. */
  gate: Promise<void> | undefined;
  failWith: AppError | undefined;
  reads = 0;

  constructor() {
    const seqState = new InMemorySequencerState();
    super(seqState);
    this.seqs = seqState;
  }

  override async after(roomId: string, afterSeq: number, limit: number): Promise<RecentRange> {
    this.reads++;
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    return super.after(roomId, afterSeq, limit);
  }

  /** Caches accepted messages of `roomId` with these seqs (as notification does) and moves the head. */
  async cache(roomId: string, seqs: number[]): Promise<void> {
    await this.append(seqs.map((seq) => ({ roomId, seq, data: JSON.stringify(roomMessageEvent(roomId, seq)) })));
    const head = Math.max(this.seqs.seqs.get(roomId) ?? 0, ...seqs);
    this.seqs.seqs.set(roomId, head);
  }
}

// ------------------------------------------------------------------ a gateway on port 0

interface Harness {
  app: GatewayApp;
  bus: ControllableBus;
  moderationStore: InMemoryModerationStore;
  roles: InMemoryRoomRoleStore;
  presence: ControllablePresence;
  recent: ControllableRecent;
  topics: TopicNames;
  gatewayId: string;
  url: string;
  server: Server;
  /** Set by a test that stopped the app itself; teardown still closes the server and bus. */
  stopped: boolean;
}

const running: Harness[] = [];
const peers: Peer[] = [];

async function startGateway(
  overrides: Partial<GatewayOptions> = {},
  shared: { presence?: ControllablePresence; logger?: Logger; live?: LiveActions; roomState?: InMemoryRoomStateHub; inbox?: InboxStore; inboxCounters?: InboxCounters } = {},
): Promise<Harness> {
  const logger = shared.logger ?? silentLogger();
  const gatewayId = uniqueId('gw');
  const bus = new ControllableBus();
  const presence = shared.presence ?? new ControllablePresence();
  const topics = resolveTopics(`${uniqueId('p')}.`);
  const options: GatewayOptions = {
    gatewayId,
    wsPath: '/ws',
    maxPayloadBytes: MAX_FRAME_BYTES,
    maxRoomsPerConnection: 3,
    // Long by default so pings never interfere; the heartbeat test sets its own.
    heartbeatIntervalMs: 60_000,
    sendSoftLimitBytes: 256 * 1024,
    sendHardLimitBytes: 4 * 1024 * 1024,
    chatRatePerSec: 20,
    chatBurst: 40,
    userChatRatePerSec: 20,
    userChatBurst: 40,
    userLikesPerSec: 20,
    userLikesBurst: 1000,
    presenceRefreshMs: 200,
    likesTickMs: 50,
    onlineTickMs: 50,
    deliveryWindowMs: 20,
    deliveryRoomWritesPerSec: 40_000,
    deliveryMaxBatch: 100,
    thinBudgetPerSec: 0,
    thinRooms: [],
    catchupMaxMessages: 500,
    catchupRatePerSec: 2,
    catchupBurst: 32,
    drainMs: 0,
    maxConnectionsPerUser: 0,
    maxConnectionsPerIp: 0,
    maxRoomsPerUser: 32,
    trustProxy: false,
    roomStateTickMs: 50,
    ...overrides,
  };
  const recent = new ControllableRecent();
  const moderationStore = new InMemoryModerationStore();
  const roles = new InMemoryRoomRoleStore();
  const roomState = shared.roomState ?? new InMemoryRoomStateHub();
  const app = createGatewayApp({
    bus,
    presence,
    recent,
    moderationStore,
    roles,
    live: shared.live ?? new LiveActions([]),
    roomState: roomState.reader(),
    inbox: shared.inbox,
    inboxCounters: shared.inboxCounters,
    verifyToken: createTokenVerifier({ hs256Secret: SECRET }),
    logger,
    topics,
    options,
  });
  const http = createHttpApp({ readiness: app.readiness, logger, metrics: app.metrics, routers: [app.router] });
  await app.start();
  const { server, port } = await listen(http, 0, '127.0.0.1');
  app.attach(server);
  const h: Harness = {
    app,
    bus,
    moderationStore,
    roles,
    presence,
    recent,
    topics,
    gatewayId,
    url: `ws://127.0.0.1:${port}/ws`,
    server,
    stopped: false,
  };
  running.push(h);
  return h;
}

afterEach(async () => {
  for (const p of peers.splice(0)) p.ws.terminate();
  for (const h of running.splice(0)) {
    if (!h.stopped) await h.app.stop();
    await closeServer(h.server);
    await h.bus.close();
  }
});

// ------------------------------------------------------------------ a raw ws client

type FrameType = ServerFrame['type'];
type FrameOf<T extends FrameType> = Extract<ServerFrame, { type: T }>;

/** A raw `ws` client that records every server frame (validated against the protocol schema). */
class Peer {
  readonly frames: ServerFrame[] = [];
  /** Server frames that did not match the protocol schema. */
  readonly invalid: string[] = [];
  readonly errors: Error[] = [];
  closed: { code: number; reason: string } | undefined;
  private nextReq = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      const parsed = ServerFrame.safeParse(JSON.parse(text));
      if (parsed.success) this.frames.push(parsed.data);
      else this.invalid.push(text);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', (err) => this.errors.push(err));
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  all<T extends FrameType>(type: T, roomId?: string): FrameOf<T>[] {
    return this.frames.filter(
      (f): f is FrameOf<T> =>
        f.type === type && (roomId === undefined || !('roomId' in f) || f.roomId === roomId),
    );
  }

  next<T extends FrameType>(type: T, match: (f: FrameOf<T>) => boolean = () => true): Promise<FrameOf<T>> {
    return waitFor(() => this.all(type).find(match), `a ${type} frame`, WAIT_MS, POLL_MS);
  }

  async join(roomId: string): Promise<FrameOf<'joined'>> {
    const reqId = `j${this.nextReq++}`;
    this.send({ type: 'join', roomId, reqId });
    return this.next('joined', (f) => f.reqId === reqId);
  }

  async leave(roomId: string): Promise<FrameOf<'left'>> {
    const reqId = `l${this.nextReq++}`;
    this.send({ type: 'leave', roomId, reqId });
    return this.next('left', (f) => f.reqId === reqId);
  }

  /**
   * Frames are ordered on one socket: once the pong to this ping is here, every frame the server
   * wrote before handling the ping is here too. Used to assert that something did NOT arrive.
   */
  async barrier(): Promise<void> {
    const reqId = `b${this.nextReq++}`;
    this.send({ type: 'ping', reqId });
    await this.next('pong', (f) => f.reqId === reqId);
  }

  whenClosed(): Promise<{ code: number; reason: string }> {
    return waitFor(() => this.closed, 'the socket to close', WAIT_MS, POLL_MS);
  }
}

function open(url: string, options: WebSocket.ClientOptions = {}): Promise<Peer> {
  const ws = new WebSocket(url, options);
  const peer = new Peer(ws);
  peers.push(peer);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(peer));
    ws.once('error', reject);
  });
}

/** Connects as `userId` (declaring `protocol`, if given) and waits for `welcome`. */
async function connect(
  h: Harness,
  userId: string,
  options: WebSocket.ClientOptions = {},
  protocol?: string,
  roles?: RolesClaim,
): Promise<Peer> {
  const token = await signUserToken(SECRET, userId, 3600, { roles });
  const peer = await open(
    `${h.url}?token=${encodeURIComponent(token)}${protocol === undefined ? '' : `&protocol=${protocol}`}`,
    options,
  );
  await peer.next('welcome');
  return peer;
}

/** Publishes deliveries to the gateway's own delivery topic, as notification does. */
async function deliver(h: Harness, ...ds: GatewayDeliveryV1[]): Promise<void> {
  const records = ds.map((d) => ({
    key: deliveryKey(d),
    value: JSON.stringify(d),
  }));
  await h.bus.publish(h.topics.delivery(h.gatewayId), records);
}

function roomMessageEvent(roomId: string, seq: number, text = `m${seq}`): ChatAcceptedV1 {
  return {
    id: `id-${roomId}-${seq}`,
    roomId,
    seq,
    userId: 'author',
    clientMsgId: `c${seq}`,
    text,
    masked: false,
    sentAt: 1,
    acceptedAt: 2,
  };
}

function roomMessage(roomId: string, seq: number, text = `m${seq}`): GatewayDeliveryV1 {
  return { kind: 'room.message', message: roomMessageEvent(roomId, seq, text) };
}

function metric(h: Harness, name: string): number {
  return h.app.metrics.snapshot()[name] ?? NaN;
}

/** An HS256 JWT signed with SECRET over any claims, including ones signUserToken would refuse to mint. */
function hs256Token(claims: Record<string, unknown>): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

// ------------------------------------------------------------------ tests

describe('gateway: authentication', () => {
  it('closes 4501 without a token and with a wrongly signed token', async () => {
    const h = await startGateway();
    const none = await open(h.url);
    expect((await none.whenClosed()).code).toBe(CLOSE_CODES.UNAUTHORIZED);

    const forged = await signUserToken('some-other-secret', 'mallory');
    const bad = await open(`${h.url}?token=${forged}`);
    expect((await bad.whenClosed()).code).toBe(CLOSE_CODES.UNAUTHORIZED);
    expect(none.frames).toEqual([]);
    expect(bad.frames).toEqual([]);
  });

  it('closes 4501 with a validly signed token whose sub is a number, not a string user id', async () => {
    const h = await startGateway();
    const numericSub = hs256Token({ sub: 12345, exp: Math.floor(Date.now() / 1000) + 3600 });
    const peer = await open(`${h.url}?token=${numericSub}`);
    const closed = await peer.whenClosed();
    expect(closed).toEqual({
      code: CLOSE_CODES.UNAUTHORIZED,
      reason: expect.stringContaining('`sub` must be a string user id'),
    });
    expect(peer.frames).toEqual([]);
  });

  it('closes 4502 with an expired token', async () => {
    const h = await startGateway();
    const expired = await signUserToken(SECRET, 'alice', -60);
    const peer = await open(`${h.url}?token=${expired}`);
    expect((await peer.whenClosed()).code).toBe(CLOSE_CODES.TOKEN_EXPIRED);
    expect(peer.frames).toEqual([]);
  });

  it('welcomes a valid token with the user and gateway ids, as query parameter or Bearer header', async () => {
    const h = await startGateway();
    const viaQuery = await connect(h, 'alice');
    expect(viaQuery.frames[0]).toMatchObject({
      type: 'welcome',
      protocol: 1,
      userId: 'alice',
      gatewayId: h.gatewayId,
      heartbeatMs: 60_000,
    });

    const token = await signUserToken(SECRET, 'bob');
    const viaHeader = await open(h.url, { headers: { authorization: `Bearer ${token}` } });
    const welcome = await viaHeader.next('welcome');
    expect(welcome).toMatchObject({ userId: 'bob', gatewayId: h.gatewayId });
    expect(welcome.sessionId).not.toBe((viaQuery.frames[0] as FrameOf<'welcome'>).sessionId);
  });
});

describe('gateway: connection and room caps', () => {
  it('closes a user\'s socket beyond maxConnectionsPerUser with 4505, also in a burst, and admits again after one closes', async () => {
    const h = await startGateway({ maxConnectionsPerUser: 3 });
    const token = await signUserToken(SECRET, 'alice');
    const burst = await Promise.all(Array.from({ length: 6 }, () => open(`${h.url}?token=${token}`)));
    await sleep(300);
    const closed = burst.filter((p) => p.closed !== undefined);
    expect(closed.map((p) => p.closed?.code)).toEqual([4505, 4505, 4505]);
    expect(metric(h, 'roomcast_gateway_limit_refusals_total{limit="connections-per-user"}')).toBe(3);
    expect(burst.filter((p) => p.all('welcome').length === 1)).toHaveLength(3);
    // Another user is not affected.
    await connect(h, 'bob');
    const open1 = burst.find((p) => p.closed === undefined) as Peer;
    open1.ws.close();
    await open1.whenClosed();
    await sleep(50);
    const again = await open(`${h.url}?token=${token}`);
    await again.next('welcome');
  });

  it('caps sockets per client address (X-Forwarded-For first entry, behind a trusted proxy) with 4505', async () => {
    const h = await startGateway({ maxConnectionsPerIp: 2, trustProxy: true });
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': `${ip}, 10.0.0.1` } });
    await connect(h, 'u1', from('203.0.113.7'));
    await connect(h, 'u2', from('203.0.113.7'));
    const third = await open(`${h.url}?token=${await signUserToken(SECRET, 'u3')}`, from('203.0.113.7'));
    expect((await third.whenClosed()).code).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    expect(metric(h, 'roomcast_gateway_limit_refusals_total{limit="connections-per-ip"}')).toBe(1);
    await connect(h, 'u4', from('198.51.100.1'));
  });

  it('ignores X-Forwarded-For unless the proxy is trusted: a client cannot dodge the cap by naming addresses', async () => {
    const h = await startGateway({ maxConnectionsPerIp: 2 });
    await connect(h, 'u1', { headers: { 'x-forwarded-for': '203.0.113.1' } });
    await connect(h, 'u2', { headers: { 'x-forwarded-for': '203.0.113.2' } });
    const third = await open(`${h.url}?token=${await signUserToken(SECRET, 'u3')}`, { headers: { 'x-forwarded-for': '203.0.113.3' } });
    expect((await third.whenClosed()).code).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
  });

  it('refuses joins beyond maxRoomsPerUser over all of a user\'s sockets with TOO_MANY_ROOMS', async () => {
    const h = await startGateway({ maxRoomsPerUser: 3 });
    const a = await connect(h, 'alice');
    const b = await connect(h, 'alice');
    await a.join('r1');
    await a.join('r2');
    await b.join('r2'); // the same room again: still 2 rooms for alice
    await b.join('r3');
    b.send({ type: 'join', roomId: 'r4', reqId: 'over' });
    expect(await b.next('error', (e) => e.reqId === 'over')).toMatchObject({ code: 'TOO_MANY_ROOMS' });
    expect(metric(h, 'roomcast_gateway_limit_refusals_total{limit="rooms-per-user"}')).toBe(1);
    await connect(h, 'bob').then((p) => p.join('r4'));
  });
});

describe('gateway: limits per user over sockets and gateways', () => {
  it('gives one user one chat budget over all their sockets on two gateways', async () => {
    const presence = new ControllablePresence();
    const limits = { userChatRatePerSec: 0.01, userChatBurst: 4 };
    const g1 = await startGateway(limits, { presence });
    const g2 = await startGateway(limits, { presence });
    const sockets = [await connect(g1, 'alice'), await connect(g1, 'alice'), await connect(g2, 'alice')];
    for (const p of sockets) await p.join('r1');
    let n = 0;
    for (const p of sockets) for (let i = 0; i < 3; i++) p.send({ type: 'chat', roomId: 'r1', clientMsgId: `c${n++}`, text: 'hi' });
    const outcome = (p: Peer) => p.all('ack').length + p.all('error').filter((e) => e.code === 'RATE_LIMITED').length;
    await waitFor(() => sockets.every((p) => outcome(p) === 3), 'every chat answered', WAIT_MS, POLL_MS);
    expect(sockets.reduce((sum, p) => sum + p.all('ack').length, 0)).toBe(4);
    // Another user has a budget of their own.
    const bob = await connect(g2, 'bob');
    await bob.join('r1');
    bob.send({ type: 'chat', roomId: 'r1', clientMsgId: 'b1', text: 'hi' });
    await bob.next('ack');
    const userChat = 'roomcast_rate_limited_total{service="gateway",limit="user-chat"}';
    expect(metric(g1, userChat) + metric(g2, userChat)).toBe(5);
  });

  it('caps a user\'s likes per room (a frame of count n costs n) and tells them', async () => {
    const h = await startGateway({ userLikesPerSec: 0.01, userLikesBurst: 150 });
    const a = await connect(h, 'alice');
    const b = await connect(h, 'alice');
    await a.join('r1');
    await b.join('r1');
    for (let i = 0; i < 3; i++) a.send({ type: 'like', roomId: 'r1', count: 100 });
    b.send({ type: 'like', roomId: 'r1', count: 50 });
    await waitFor(() => a.all('likes').at(-1)?.total === 150, 'the capped total', WAIT_MS, POLL_MS);
    await sleep(150);
    expect(a.all('likes').at(-1)?.total).toBe(150);
    const refused = [...a.all('error'), ...b.all('error')].filter((e) => e.code === 'RATE_LIMITED').length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(metric(h, 'roomcast_rate_limited_total{service="gateway",limit="user-likes"}')).toBe(refused);
  });

  const refusedUser = 'roomcast_gateway_limit_refusals_total{limit="connections-per-user"}';
  const refusedIp = 'roomcast_gateway_limit_refusals_total{limit="connections-per-ip"}';

  it('caps a user\'s sockets over two gateways: 10 in all, also in a burst; the 11th on either closes 4505; one closing frees a slot on the other', async () => {
    const presence = new ControllablePresence();
    const g1 = await startGateway({ maxConnectionsPerUser: 10 }, { presence });
    const g2 = await startGateway({ maxConnectionsPerUser: 10 }, { presence });
    const url = async (h: Harness) => `${h.url}?token=${await signUserToken(SECRET, 'alice')}`;
    // 6 handshakes at once on each gateway: each is under its own cap of 10, not under the shared one.
    const burst = await Promise.all(Array.from({ length: 12 }, async (_, i) => open(await url(i % 2 === 0 ? g1 : g2))));
    await waitFor(() => burst.every((p) => p.closed !== undefined || p.all('welcome').length === 1), 'every handshake answered', WAIT_MS, POLL_MS);
    const welcomed = burst.filter((p) => p.closed === undefined);
    expect(welcomed).toHaveLength(10);
    expect(burst.filter((p) => p.closed !== undefined).map((p) => p.closed?.code)).toEqual([4505, 4505]);
    expect(metric(g1, refusedUser) + metric(g2, refusedUser)).toBe(2);
    for (const h of [g1, g2]) {
      const over = await open(await url(h));
      expect(await over.whenClosed()).toEqual({ code: CLOSE_CODES.TOO_MANY_CONNECTIONS, reason: expect.stringContaining('10 connections per user') });
    }
    // Another user has slots of their own.
    await connect(g1, 'bob');
    // One of alice's sockets on g1 closes: g2 may admit one more, and then no more.
    const onG1 = burst[0] as Peer;
    expect(welcomed).toContain(onG1);
    onG1.ws.close();
    await waitFor(() => presence.connectionReleases >= 1, 'the slot released', WAIT_MS, POLL_MS);
    await connect(g2, 'alice');
    expect((await open(await url(g1)).then((p) => p.whenClosed())).code).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
  });

  it('caps sockets per client address over two gateways with 4505', async () => {
    const presence = new ControllablePresence();
    const g1 = await startGateway({ maxConnectionsPerIp: 3 }, { presence });
    const g2 = await startGateway({ maxConnectionsPerIp: 3 }, { presence });
    await connect(g1, 'u1');
    await connect(g1, 'u2');
    const u3 = await connect(g2, 'u3');
    for (const h of [g1, g2]) {
      const over = await open(`${h.url}?token=${await signUserToken(SECRET, 'u4')}`);
      expect(await over.whenClosed()).toEqual({ code: CLOSE_CODES.TOO_MANY_CONNECTIONS, reason: expect.stringContaining('per client address') });
    }
    expect(metric(g1, refusedIp) + metric(g2, refusedIp)).toBe(2);
    u3.ws.close();
    await waitFor(() => presence.connectionReleases >= 1, 'the slot released', WAIT_MS, POLL_MS);
    await connect(g1, 'u4');
  });

  it('gives back the user\'s shared slot when the address cap refuses the socket after the user cap admitted it', async () => {
    const presence = new ControllablePresence();
    const caps = { maxConnectionsPerUser: 2, maxConnectionsPerIp: 2 };
    const g1 = await startGateway(caps, { presence });
    const g2 = await startGateway(caps, { presence });
    await connect(g1, 'alice');
    const bob = await connect(g2, 'bob');
    // Under both caps on g1's own counts, and under alice's shared cap; over the address's shared cap.
    const refused = await open(`${g1.url}?token=${await signUserToken(SECRET, 'alice')}`);
    expect((await refused.whenClosed()).code).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    expect(metric(g1, refusedIp)).toBe(1);
    bob.ws.close();
    await waitFor(() => presence.connectionReleases >= 2, 'alice\'s slot and bob\'s released', WAIT_MS, POLL_MS);
    // alice holds one socket, not two: her second is admitted on the other gateway.
    await connect(g2, 'alice');
  });

  it('fails open when the shared store cannot count connections: each gateway\'s own cap still holds', async () => {
    const presence = new ControllablePresence();
    presence.connectionsDown = true;
    const g1 = await startGateway({ maxConnectionsPerUser: 2 }, { presence });
    const g2 = await startGateway({ maxConnectionsPerUser: 2 }, { presence });
    await connect(g1, 'alice');
    await connect(g1, 'alice');
    const over = await open(`${g1.url}?token=${await signUserToken(SECRET, 'alice')}`);
    expect((await over.whenClosed()).code).toBe(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    await connect(g2, 'alice');
    expect(metric(g1, 'roomcast_gateway_limit_failed_open_total{limit="connections-per-user"}')).toBe(2);
    expect(metric(g2, 'roomcast_gateway_limit_failed_open_total{limit="connections-per-user"}')).toBe(1);
  });

  it('counts what it admitted while Redis could not answer at the next presence tick, keeps it counted, and gives it back on stop', async () => {
    const presence = new ControllablePresence();
    presence.connectionsDown = true;
    const g1 = await startGateway({ maxConnectionsPerUser: 2 }, { presence });
    await connect(g1, 'alice');
    await connect(g1, 'alice');
    presence.connectionsDown = false;
    // Another gateway's view of alice: a slot is free until g1 reports its two sockets.
    const slotFree = async (): Promise<boolean> => {
      const ok = await presence.admitConnection('user', 'alice', 'another-gateway', 2, 60_000);
      if (ok) await presence.releaseConnection('user', 'alice', 'another-gateway');
      return ok;
    };
    expect(await slotFree()).toBe(true);
    await waitFor(async () => !(await slotFree()), "g1's sockets counted", WAIT_MS, 20);
    // Past the ttl of one report (3 x presenceRefreshMs 200): the ticks keep them counted.
    await sleep(1000);
    expect(await slotFree()).toBe(false);
    await g1.app.stop();
    g1.stopped = true;
    expect(await slotFree()).toBe(true);
  });

  it('fails open when the shared store cannot answer: the per-socket limit still holds', async () => {
    const presence = new ControllablePresence();
    presence.takeTokens = () => Promise.reject(new AppError('PRESENCE_UNAVAILABLE', 'redis down'));
    const h = await startGateway({ chatBurst: 2, userChatBurst: 1, userChatRatePerSec: 0.01 }, { presence });
    const p = await connect(h, 'alice');
    await p.join('r1');
    for (let i = 0; i < 3; i++) p.send({ type: 'chat', roomId: 'r1', clientMsgId: `c${i}`, text: 'hi' });
    await waitFor(() => p.all('ack').length + p.all('error').length === 3, 'three answers', WAIT_MS, POLL_MS);
    expect(p.all('ack')).toHaveLength(2);
  });
});

describe('gateway: session expiry', () => {
  it('states the expiry in welcome and closes the socket with 4502 when the token expires', async () => {
    const h = await startGateway();
    const started = Date.now();
    const peer = await connect(h, 'alice', {}, '2');
    const welcome = peer.all('welcome')[0];
    const shortLived = await open(`${h.url}?token=${await signUserToken(SECRET, 'carol', 2)}`);
    const w = await shortLived.next('welcome');
    expect(w.expiresAt).toBeGreaterThan(started);
    expect(w.expiresAt).toBeLessThanOrEqual(Date.now() + 2000);
    expect((await waitFor(() => shortLived.closed, 'the 4502 close', 6000, 20)).code).toBe(CLOSE_CODES.TOKEN_EXPIRED);
    // The hour-long session is untouched.
    expect(welcome?.type === 'welcome' && (welcome.expiresAt ?? 0) > Date.now() + 3_000_000).toBe(true);
    expect(peer.closed).toBeUndefined();
  });

  it('extends a session with a refresh carrying a new token of the same user', async () => {
    const h = await startGateway();
    const peer = await open(`${h.url}?token=${await signUserToken(SECRET, 'carol', 2)}`);
    await peer.next('welcome');
    peer.send({ type: 'refresh', reqId: 'r1', token: await signUserToken(SECRET, 'carol', 3600) });
    const refreshed = await peer.next('refreshed');
    expect(refreshed.reqId).toBe('r1');
    expect(refreshed.expiresAt).toBeGreaterThan(Date.now() + 3_000_000);
    await sleep(3500);
    expect(peer.closed).toBeUndefined();
    await peer.barrier();
  });

  it('states expiresAt in whole ms for a token whose exp has a fraction, or lies past 2^53 ms', async () => {
    const h = await startGateway();
    const exp = Math.floor(Date.now() / 1000) + 3600.1234;
    const peer = await open(`${h.url}?token=${hs256Token({ sub: 'carol', exp })}`);
    expect((await peer.next('welcome')).expiresAt).toBe(Math.floor(exp * 1000));
    peer.send({ type: 'refresh', reqId: 'far', token: hs256Token({ sub: 'carol', exp: 1e13 }) });
    expect((await peer.next('refreshed')).expiresAt).toBe(Number.MAX_SAFE_INTEGER);
    // Both passed ServerFrame (expiresAt is an integer there).
    expect(peer.invalid).toEqual([]);
  });

  it("refuses a refresh with another user's token (UNAUTHORIZED) or an expired one (TOKEN_EXPIRED), keeping the session", async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    peer.send({ type: 'refresh', reqId: 'other', token: await signUserToken(SECRET, 'mallory', 3600) });
    expect(await peer.next('error', (e) => e.reqId === 'other')).toMatchObject({ code: 'UNAUTHORIZED' });
    peer.send({ type: 'refresh', reqId: 'old', token: await signUserToken(SECRET, 'alice', -10) });
    expect(await peer.next('error', (e) => e.reqId === 'old')).toMatchObject({ code: 'TOKEN_EXPIRED' });
    expect(peer.all('refreshed')).toEqual([]);
    await peer.barrier();
    expect(peer.closed).toBeUndefined();
  });
});

describe('gateway: protocol version', () => {
  it('speaks v1 to a client that declares none, the declared version, and its newest to a newer client', async () => {
    const h = await startGateway();
    expect((await connect(h, 'a')).frames[0]).toMatchObject({ type: 'welcome', protocol: 1 });
    expect((await connect(h, 'b', {}, '1')).frames[0]).toMatchObject({ type: 'welcome', protocol: 1 });
    expect((await connect(h, 'c', {}, '2')).frames[0]).toMatchObject({ type: 'welcome', protocol: 2 });
    expect((await connect(h, 'd', {}, '9')).frames[0]).toMatchObject({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
    });
  });

  it('closes 4504 BAD_REQUEST when protocol is not a positive integer', async () => {
    const h = await startGateway();
    const token = await signUserToken(SECRET, 'alice');
    for (const bad of ['two', '0', '-1', '2.5']) {
      const peer = await open(`${h.url}?token=${token}&protocol=${bad}`);
      const closed = await peer.whenClosed();
      expect(closed.code).toBe(CLOSE_CODES.BAD_REQUEST);
      expect(closed.reason).toContain('protocol');
      expect(peer.frames).toEqual([]);
    }
  });
});

describe('gateway: inbound frames', () => {
  it('answers invalid JSON, an unknown type and a binary frame with BAD_FRAME and stays open', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    peer.ws.send('{not json');
    peer.send({ type: 'shout', reqId: 'r1' });
    peer.ws.send(Buffer.from('{"type":"ping"}'), { binary: true });
    const errors = await waitFor(
      () => (peer.all('error').length >= 3 ? peer.all('error') : undefined),
      'three errors',
      WAIT_MS,
      POLL_MS,
    );
    expect(errors.map((e) => [e.code, e.temporary])).toEqual([
      ['BAD_FRAME', false],
      ['BAD_FRAME', false],
      ['BAD_FRAME', false],
    ]);
    expect(errors[1]?.reqId).toBe('r1');
    await peer.barrier();
    expect(peer.closed).toBeUndefined();
  });

  it('echoes the reqId of a frame that fails validation only when the reqId itself is valid', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    peer.send({ type: 'shout', reqId: 'r'.repeat(64) });
    peer.send({ type: 'ping', reqId: 'r'.repeat(65) });
    peer.send({ type: 'shout', reqId: 'x'.repeat(3000) });
    peer.send({ type: 'shout', reqId: 42 });
    const errors = await waitFor(() => (peer.all('error').length >= 4 ? peer.all('error') : undefined), 'four errors', WAIT_MS, POLL_MS);
    expect(errors.map((e) => [e.code, e.reqId])).toEqual([
      ['BAD_FRAME', 'r'.repeat(64)],
      ['BAD_FRAME', undefined],
      ['BAD_FRAME', undefined],
      ['BAD_FRAME', undefined],
    ]);
    // Every reply passed ServerFrame (an over-long reqId would not).
    expect(peer.invalid).toEqual([]);
  });

  it('answers chat text over 500 characters with FRAME_TOO_LARGE', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    await peer.join('r1');
    peer.send({ type: 'chat', roomId: 'r1', clientMsgId: 'long', text: 'x'.repeat(501) });
    const err = await peer.next('error');
    expect(err).toMatchObject({ code: 'FRAME_TOO_LARGE', temporary: false });
    await peer.barrier();
    expect(peer.all('ack')).toEqual([]);
    expect(h.bus.stats().published).toBe(0);
  });

  it('answers chat and like in a room not joined with NOT_IN_ROOM', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    peer.send({ type: 'chat', roomId: 'elsewhere', clientMsgId: 'c1', text: 'hi' });
    await peer.next('error', (e) => e.clientMsgId === 'c1');
    peer.send({ type: 'like', roomId: 'elsewhere', count: 3 });
    const errors = await waitFor(
      () => (peer.all('error').length >= 2 ? peer.all('error') : undefined),
      'two errors',
      WAIT_MS,
      POLL_MS,
    );
    expect(errors.map((e) => e.code)).toEqual(['NOT_IN_ROOM', 'NOT_IN_ROOM']);
    expect(errors[0]?.clientMsgId).toBe('c1');
    expect(h.bus.stats().published).toBe(0);
    expect(await h.presence.getLikes(['elsewhere'])).toEqual(new Map([['elsewhere', 0]]));
  });

  it('refuses a join beyond maxRoomsPerConnection with TOO_MANY_ROOMS; rejoining a joined room is fine', async () => {
    const h = await startGateway({ maxRoomsPerConnection: 2 });
    const peer = await connect(h, 'alice');
    await peer.join('a');
    await peer.join('b');
    await peer.join('a');
    peer.send({ type: 'join', roomId: 'c', reqId: 'third' });
    const err = await peer.next('error');
    expect(err).toMatchObject({ code: 'TOO_MANY_ROOMS', temporary: false, reqId: 'third' });
    expect(metric(h, 'roomcast_gateway_limit_refusals_total{limit="rooms-per-connection"}')).toBe(1);
    await peer.barrier();
    expect(peer.all('joined', 'c')).toEqual([]);
    expect((await h.presence.getRoomGateways(['c'])).get('c')).toEqual([]);
  });

  it('closes the socket with 1009 when a frame exceeds maxPayload', async () => {
    const h = await startGateway({ maxPayloadBytes: 1024 });
    const peer = await connect(h, 'alice');
    peer.send({ type: 'ping', reqId: 'x'.repeat(1100) });
    expect((await peer.whenClosed()).code).toBe(1009);
  });
});

describe('gateway: chat', () => {
  const tracing = installInMemoryTracing();
  afterAll(() => tracing.shutdown());

  async function collectSubmitted(h: Harness): Promise<BusRecord[]> {
    const got: BusRecord[] = [];
    const sub = await h.bus.subscribe({
      groupId: uniqueId('reader'),
      topics: [h.topics.chatSubmitted],
      fromBeginning: true,
      handler: async (rs) => void got.push(...rs),
    });
    await sub.ready;
    return got;
  }

  it('publishes one record keyed by room, with a traceparent and the token user, then acks', async () => {
    // Only this test's spans (earlier tests chatted too).
    tracing.exporter.reset();
    const h = await startGateway();
    const submitted = await collectSubmitted(h);
    const peer = await connect(h, 'alice');
    await peer.join('r1');
    const before = Date.now();
    // A client-supplied userId must be ignored: the sender is whoever the token says.
    peer.send({
      type: 'chat',
      roomId: 'r1',
      clientMsgId: 'c1',
      text: 'hello',
      sentAt: 1234,
      userId: 'mallory',
    });
    const ack = await peer.next('ack');
    expect(ack).toEqual({ type: 'ack', roomId: 'r1', clientMsgId: 'c1' });
    expect(h.bus.stats().published).toBe(1);

    const [record] = await waitFor(
      () => (submitted.length > 0 ? submitted : undefined),
      'the submitted record',
      WAIT_MS,
      POLL_MS,
    );
    expect(record?.topic).toBe(h.topics.chatSubmitted);
    expect(record?.key).toBe('r1');
    const event = ChatSubmittedV1.parse(JSON.parse(record?.value.toString() ?? ''));
    expect(event).toMatchObject({
      roomId: 'r1',
      userId: 'alice',
      clientMsgId: 'c1',
      text: 'hello',
      sentAt: 1234,
      gatewayId: h.gatewayId,
    });
    expect(event.submittedAt).toBeGreaterThanOrEqual(before);
    const traceparent = record?.headers.traceparent?.toString();
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    const span = tracing.exporter.getFinishedSpans().find((s) => s.name === 'gateway.chat.submit');
    expect(span).toBeDefined();
    expect(traceIdOf(traceparent)).toBe(span?.spanContext().traceId);
    await peer.barrier();
    expect(submitted).toHaveLength(1);
  });

  it('acks only after the publish resolved, and answers frames sent after the chat only after its ack', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    await peer.join('r1');
    let release = (): void => undefined;
    h.bus.hold = new Promise<void>((r) => (release = r));
    peer.send({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'hello' });
    peer.send({ type: 'ping', reqId: 'after-chat' });
    await sleep(100);
    // The pong waits for the ack ahead of it.
    expect(peer.all('ack')).toEqual([]);
    expect(peer.all('pong')).toEqual([]);
    release();
    await peer.next('pong', (p) => p.reqId === 'after-chat');
    expect(peer.frames.map((f) => f.type).slice(-2)).toEqual(['ack', 'pong']);
    expect(h.bus.stats().published).toBe(1);
  });

  it('answers a failed publish with a temporary PUBLISH_FAILED carrying the clientMsgId, and no ack', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice');
    await peer.join('r1');
    h.bus.failWith = new AppError('PUBLISH_FAILED', 'broker unreachable');
    peer.send({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'hello' });
    const err = await peer.next('error');
    expect(err).toMatchObject({ code: 'PUBLISH_FAILED', temporary: true, clientMsgId: 'c1' });
    await peer.barrier();
    expect(peer.all('ack')).toEqual([]);
    expect(peer.closed).toBeUndefined();
  });

  it("starts the message's trace with room, user and gateway as attributes (the sampler reads them), and logs a failed publish with its trace_id", async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
        done();
      },
    });
    tracing.exporter.reset();
    const h = await startGateway({}, { logger: createLogger({ name: 'gateway', level: 'warn', destination }) });
    const peer = await connect(h, 'alice');
    await peer.join('r1');
    h.bus.failWith = new AppError('PUBLISH_FAILED', 'broker unreachable');
    peer.send({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'hello' });
    await peer.next('error');
    const span = tracing.exporter.getFinishedSpans().find((s) => s.name === 'gateway.chat.submit');
    expect(span?.attributes).toMatchObject({
      'roomcast.room_id': 'r1',
      'roomcast.user_id': 'alice',
      'roomcast.client_msg_id': 'c1',
      'roomcast.gateway_id': h.gatewayId,
    });
    await waitFor(() => lines.find((l) => l.msg === 'chat publish failed'), 'the warning', WAIT_MS, POLL_MS);
    expect(lines.find((l) => l.msg === 'chat publish failed')).toMatchObject({
      roomId: 'r1',
      clientMsgId: 'c1',
      trace_id: span?.spanContext().traceId,
      span_id: span?.spanContext().spanId,
    });
  });

  it('rate-limits chat: burst + 1 frames at once yield one RATE_LIMITED', async () => {
    const h = await startGateway({ chatBurst: 3, chatRatePerSec: 1 });
    const peer = await connect(h, 'alice');
    await peer.join('r1');
    for (let i = 0; i < 4; i++) peer.send({ type: 'chat', roomId: 'r1', clientMsgId: `c${i}`, text: 'spam' });
    const err = await peer.next('error');
    expect(err).toMatchObject({ code: 'RATE_LIMITED', temporary: true, clientMsgId: 'c3' });
    await waitFor(() => peer.all('ack').length === 3, 'three acks', WAIT_MS, POLL_MS);
    await peer.barrier();
    expect(peer.all('ack').map((a) => a.clientMsgId)).toEqual(['c0', 'c1', 'c2']);
    expect(h.bus.stats().published).toBe(3);
    expect(metric(h, 'roomcast_rate_limited_total{service="gateway",limit="chat"}')).toBe(1);
  });
});

describe('gateway: presence', () => {
  // Entries live 3 x presenceRefreshMs; a long TTL here so expiry cannot stand in for removal.
  const LONG_REFRESH_MS = 10_000;

  it('registers the gateway for the room before sending joined', async () => {
    const h = await startGateway();
    h.presence.touchDelayMs = 100;
    const peer = await connect(h, 'alice');
    let atJoined: Promise<Map<string, string[]>> | undefined;
    peer.ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'joined')
        atJoined = h.presence.getRoomGateways(['r1']);
    });
    await peer.join('r1');
    const gateways = await waitFor(() => atJoined, 'the presence read at joined', WAIT_MS, POLL_MS);
    expect(gateways.get('r1')).toEqual([h.gatewayId]);
  });

  it('keeps the room registered until its last viewer leaves', async () => {
    const h = await startGateway({ presenceRefreshMs: LONG_REFRESH_MS });
    const a = await connect(h, 'alice');
    const b = await connect(h, 'bob');
    await a.join('r1');
    await b.join('r1');
    await a.leave('r1');
    const gatewaysOf = async (): Promise<string[] | undefined> =>
      (await h.presence.getRoomGateways(['r1'])).get('r1');
    expect(await gatewaysOf()).toEqual([h.gatewayId]);
    await b.leave('r1');
    await waitFor(
      async () => (await gatewaysOf())?.length === 0,
      'the room to be deregistered',
      WAIT_MS,
      POLL_MS,
    );
  });

  it('records user -> gateway while connected and removes it on close (also for a socket still in a room)', async () => {
    const h = await startGateway({ presenceRefreshMs: LONG_REFRESH_MS });
    const a = await connect(h, 'alice');
    await a.join('r1');
    expect(await h.presence.getUserGateway('alice')).toBe(h.gatewayId);
    a.ws.close();
    await waitFor(
      async () => (await h.presence.getUserGateway('alice')) === null,
      'the user entry to go',
      WAIT_MS,
      POLL_MS,
    );
    await waitFor(
      async () => (await h.presence.getRoomGateways(['r1'])).get('r1')?.length === 0,
      'the room entry to go',
      WAIT_MS,
      POLL_MS,
    );
  });

  it('keeps the user entry while another socket of the same user is still open', async () => {
    const h = await startGateway({ presenceRefreshMs: LONG_REFRESH_MS });
    const first = await connect(h, 'alice');
    const second = await connect(h, 'alice');
    first.ws.close();
    await first.whenClosed();
    await second.barrier();
    expect(await h.presence.getUserGateway('alice')).toBe(h.gatewayId);
    second.ws.close();
    await waitFor(
      async () => (await h.presence.getUserGateway('alice')) === null,
      'the user entry to go',
      WAIT_MS,
      POLL_MS,
    );
  });
});

describe('gateway: delivery', () => {
  it('fans room messages out to every member of the room, once per seq, and to no other room', async () => {
    const h = await startGateway();
    const a = await connect(h, 'alice');
    const b = await connect(h, 'bob');
    const other = await connect(h, 'carol');
    await a.join('r1');
    await b.join('r1');
    await other.join('r2');

    await deliver(h, roomMessage('r1', 1, 'hello'));
    await deliver(h, roomMessage('r1', 1, 'hello')); // a redelivery of the same record
    await deliver(h, roomMessage('r1', 2, 'world'));
    for (const p of [a, b]) {
      await waitFor(() => p.all('message').some((m) => m.seq === 2), 'seq 2', WAIT_MS, POLL_MS);
      await p.barrier();
      expect(p.all('message').map((m) => [m.roomId, m.seq, m.text])).toEqual([
        ['r1', 1, 'hello'],
        ['r1', 2, 'world'],
      ]);
    }
    expect(a.all('message')[0]).toEqual({
      type: 'message',
      roomId: 'r1',
      seq: 1,
      id: 'id-r1-1',
      userId: 'author',
      clientMsgId: 'c1',
      text: 'hello',
      masked: false,
      sentAt: 1,
      acceptedAt: 2,
    });
    await other.barrier();
    expect(other.all('message')).toEqual([]);
    expect(metric(h, 'roomcast_gateway_duplicate_deliveries_total')).toBe(1);
    expect(metric(h, 'roomcast_gateway_frames_delivered_total')).toBe(4);
    // Latency once per message (not per socket: two members), sizes once per flush.
    expect(metric(h, 'roomcast_gateway_e2e_latency_seconds_count')).toBe(2);
    expect(metric(h, 'roomcast_gateway_delivery_latency_seconds_count')).toBe(2);
    expect(metric(h, 'roomcast_gateway_fanout_sockets_sum')).toBe(2 * metric(h, 'roomcast_gateway_fanout_sockets_count'));
    // The delivery topic's hop, per record handled (the redelivery too).
    const hop = `roomcast_consumer_hop_latency_seconds_count{service="gateway",topic="${h.topics.delivery(h.gatewayId)}"}`;
    await waitFor(() => metric(h, hop) === 3 || undefined, 'three hops measured', WAIT_MS, POLL_MS);
    expect(await a.join('r1')).toMatchObject({ lastSeq: 2 });
  });

  it('gives a v1 client one message frame per message and a v2 client the same messages in batch frames', async () => {
    const h = await startGateway();
    const v1 = await connect(h, 'old');
    const v2 = await connect(h, 'new', {}, '2');
    await v1.join('r1');
    await v2.join('r1');
    // One Kafka batch: every message of it is queued before the room flushes.
    await deliver(h, ...Array.from({ length: 5 }, (_, i) => roomMessage('r1', i + 1)));
    await deliver(h, roomMessage('r1', 6), roomMessage('r1', 7));
    await waitFor(() => v1.all('message').length === 7, 'seven v1 message frames', WAIT_MS, POLL_MS);
    const batchSeqs = (): number[] => v2.all('messages').flatMap((f) => f.messages.map((m) => m.seq));
    await waitFor(() => batchSeqs().length === 7, 'seven batched messages', WAIT_MS, POLL_MS);
    expect(v1.all('messages')).toEqual([]);
    expect(v2.all('message')).toEqual([]);
    const asV1 = v2
      .all('messages')
      .flatMap((f) => f.messages.map((m) => ({ type: 'message', roomId: f.roomId, ...m })));
    expect(asV1).toEqual(v1.all('message'));
    // Fewer frames than messages: at least the first Kafka batch shared one frame.
    expect(v2.all('messages')[0]).toMatchObject({ fromSeq: 1, thinned: 0 });
    expect(v2.all('messages')[0]?.toSeq).toBeGreaterThanOrEqual(5);
    expect(v2.all('messages').length).toBeLessThan(7);
    expect(v2.invalid).toEqual([]);
  });

  it('sends what is queued for the window before closing the sockets on stop', async () => {
    const h = await startGateway({ deliveryWindowMs: 60_000, deliveryRoomWritesPerSec: 1 });
    const v2 = await connect(h, 'alice', {}, '2');
    await v2.join('r1');
    await deliver(h, roomMessage('r1', 1));
    await v2.next('messages');
    await deliver(h, roomMessage('r1', 2), roomMessage('r1', 3));
    await sleep(50); // the deliveries are queued, and the window is a minute
    expect(v2.all('messages')).toHaveLength(1);
    h.stopped = true;
    await h.app.stop();
    expect((await v2.whenClosed()).code).toBe(CLOSE_CODES.SHUTDOWN);
    expect(v2.all('messages').flatMap((f) => f.messages.map((m) => m.seq))).toEqual([1, 2, 3]);
  });

  it('thins a room over its budget for viewers, never for the sender, and states it in every frame', async () => {
    const h = await startGateway({ thinRooms: [{ room: 'hot', budgetPerSec: 2 }] });
    const viewer = await connect(h, 'viewer', {}, '2');
    const author = await connect(h, 'author', {}, '2');
    await viewer.join('hot');
    await author.join('hot');
    // roomMessage() is written by 'author'; one from someone else too.
    await deliver(h, ...Array.from({ length: 6 }, (_, i) => roomMessage('hot', i + 1)), {
      kind: 'room.message',
      message: { ...(roomMessage('hot', 7) as { message: ChatAcceptedV1 }).message, userId: 'someone' },
    });
    const covered = (p: Peer) => p.all('messages').reduce((n, f) => n + f.toSeq - f.fromSeq + 1, 0);
    await waitFor(
      () => covered(viewer) === 7 && covered(author) === 7,
      'frames covering seq 1..7',
      WAIT_MS,
      POLL_MS,
    );
    const thinned = (p: Peer) => p.all('messages').reduce((n, f) => n + f.thinned, 0);
    const seqs = (p: Peer) => p.all('messages').flatMap((f) => f.messages.map((m) => m.seq));
    expect(seqs(viewer)).toEqual([1, 2]);
    expect(thinned(viewer)).toBe(5);
    expect(seqs(author)).toEqual([1, 2, 3, 4, 5, 6]); // seq 7 was someone else's
    expect(thinned(author)).toBe(1);
    expect(metric(h, 'roomcast_gateway_thinned_total')).toBe(5);
  });

  it('delivers a rejection only to the sockets of the rejected user', async () => {
    const h = await startGateway();
    const alice1 = await connect(h, 'alice');
    const alice2 = await connect(h, 'alice');
    const bob = await connect(h, 'bob');
    await alice1.join('r1');
    await bob.join('r1');
    await deliver(h, {
      kind: 'user.rejected',
      rejected: {
        id: 'x1',
        roomId: 'r1',
        userId: 'alice',
        clientMsgId: 'c9',
        reason: 'blocked',
        rejectedAt: 3,
      },
    });
    for (const p of [alice1, alice2]) {
      expect(await p.next('rejected')).toEqual({
        type: 'rejected',
        roomId: 'r1',
        clientMsgId: 'c9',
        reason: 'blocked',
      });
    }
    await bob.barrier();
    expect(bob.all('rejected')).toEqual([]);
  });
});

describe('gateway: likes and online counts', () => {
  it('sums likes of a tick into one likes frame per room', async () => {
    const tickMs = 200;
    const h = await startGateway({ likesTickMs: tickMs });
    const a = await connect(h, 'alice');
    const b = await connect(h, 'bob');
    await a.join('r1');
    await b.join('r1');
    // Right after a tick has gone out there is a whole tick before the next one.
    await waitFor(
      () => a.all('likes').length > 0 && b.all('likes').length > 0,
      'the first likes frame',
      WAIT_MS,
      POLL_MS,
    );
    a.send({ type: 'like', roomId: 'r1', count: 2 });
    b.send({ type: 'like', roomId: 'r1', count: 3 });
    for (const p of [a, b])
      await waitFor(() => p.all('likes').some((f) => f.total === 5), 'likes 5', WAIT_MS, POLL_MS);
    await sleep(tickMs * 2.5);
    for (const p of [a, b]) {
      expect(p.all('likes').map((f) => f.total)).toEqual([0, 5]);
    }
    expect(await h.presence.getLikes(['r1'])).toEqual(new Map([['r1', 5]]));
  });

  it.each([
    ['adding them', 'addLikesFailures'],
    ['reading the totals back after they were added', 'getLikesFailures'],
  ] as const)('counts likes exactly once when %s fails once', async (_what, knob) => {
    const h = await startGateway();
    const a = await connect(h, 'alice');
    await a.join('r1');
    await a.next('likes');
    h.presence[knob] = 1;
    a.send({ type: 'like', roomId: 'r1', count: 2 });
    await a.next('likes', (f) => f.total > 0);
    await sleep(150); // three more ticks
    expect(await h.presence.getLikes(['r1'])).toEqual(new Map([['r1', 2]]));
    expect(a.all('likes').map((f) => f.total)).toEqual([0, 2]);
  });

  it('gives a late joiner the current like total and online count at once', async () => {
    const h = await startGateway();
    const a = await connect(h, 'alice');
    await a.join('r1');
    a.send({ type: 'like', roomId: 'r1', count: 7 });
    await a.next('likes', (f) => f.total === 7);
    await waitFor(() => a.all('online').at(-1)?.count === 1, 'online 1', WAIT_MS, POLL_MS);
    // Nothing changes after bob joins but the online count, so only the join can tell him 7.
    const b = await connect(h, 'bob');
    await b.join('r1');
    await b.next('likes', (f) => f.total === 7);
    expect(b.all('online').length).toBeGreaterThan(0);
  });

  it('broadcasts the online count of the room when it changes', async () => {
    const h = await startGateway();
    const a = await connect(h, 'alice');
    const b = await connect(h, 'bob');
    await a.join('r1');
    await b.join('r1');
    const lastOnline = (p: Peer): number | undefined => p.all('online').at(-1)?.count;
    await waitFor(() => lastOnline(a) === 2 && lastOnline(b) === 2, 'online 2', WAIT_MS, POLL_MS);
    await b.leave('r1');
    await waitFor(() => lastOnline(a) === 1, 'online 1', WAIT_MS, POLL_MS);
    await sleep(150); // three more ticks
    // Sent only on change: an unchanged count is never repeated.
    for (const counts of [a.all('online').map((f) => f.count), b.all('online').map((f) => f.count)]) {
      expect(counts.filter((c, i) => i > 0 && c === counts[i - 1])).toEqual([]);
    }
    expect(a.all('online').at(-1)?.count).toBe(1);
    expect(await h.presence.reportOnline('probe', new Map([['r1', 0]]), 1000)).toEqual(new Map([['r1', 1]]));
  });

  it('counts people, not sockets: one user on three sockets is one viewer', async () => {
    const h = await startGateway();
    const alice = await Promise.all([connect(h, 'alice'), connect(h, 'alice'), connect(h, 'alice')]);
    const bob = await connect(h, 'bob');
    for (const p of [...alice, bob]) await p.join('r1');
    await waitFor(() => bob.all('online').at(-1)?.count === 2, 'online 2', WAIT_MS, POLL_MS);
    await sleep(150);
    expect(bob.all('online').map((f) => f.count).every((c) => c <= 2)).toBe(true);
  });
});

describe('gateway: heartbeat', () => {
  it('closes a socket that does not answer pings with 4003 and keeps one that does', async () => {
    const h = await startGateway({ heartbeatIntervalMs: 150 });
    const silent = await connect(h, 'alice', { autoPong: false });
    const lively = await connect(h, 'bob');
    expect((await silent.whenClosed()).code).toBe(CLOSE_CODES.HEARTBEAT_TIMEOUT);
    // Two more intervals: the answering socket must still be open.
    await sleep(300);
    await lively.barrier();
    expect(lively.closed).toBeUndefined();
  });
});

describe('gateway: soft send budget', () => {
  it('drops likes and online frames above the soft budget while every chat message still gets through', async () => {
    const h = await startGateway({ sendSoftLimitBytes: 16 * 1024, sendHardLimitBytes: 64 * 1024 * 1024 });
    const backlogged = await connect(h, 'alice', {}, '2');
    const liker = await connect(h, 'bob', {}, '2');
    await backlogged.join('r1');
    await liker.join('r1');
    await backlogged.next('likes');
    // Stop reading: the kernel buffers fill, then the gateway's buffer for this socket grows.
    (backlogged.ws as unknown as { _socket: Socket })._socket.pause();
    const text = 'x'.repeat(60_000);
    let seq = 0;
    let likes = 0;
    await waitFor(
      async () => {
        if (metric(h, 'roomcast_gateway_frames_dropped_total') > 0) return true;
        await deliver(h, ...Array.from({ length: 4 }, () => roomMessage('r1', ++seq, text)));
        liker.send({ type: 'like', roomId: 'r1', count: 1 });
        likes++;
        await sleep(60); // a likes tick (50 ms) broadcasts the new total
        return false;
      },
      'a dropped counter frame',
      20_000,
      1,
    );
    (backlogged.ws as unknown as { _socket: Socket })._socket.resume();
    const seqs = (): number[] => backlogged.all('messages').flatMap((f) => f.messages.map((m) => m.seq));
    await waitFor(() => seqs().length === seq, `all ${seq} chat messages`, 20_000, POLL_MS);
    expect(seqs()).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    expect(backlogged.closed).toBeUndefined();
    await waitFor(
      () => liker.all('likes').some((f) => f.total === likes),
      `the liker sees ${likes} likes`,
      WAIT_MS,
      POLL_MS,
    );
    // The backlogged socket skipped at least one total the liker saw.
    const seen = new Set(backlogged.all('likes').map((f) => f.total));
    expect(liker.all('likes').some((f) => !seen.has(f.total))).toBe(true);
  }, 60_000);
});

describe('gateway: slow consumer', () => {
  it('closes a socket whose outbound buffer passes the hard budget with 4001 and counts it', async () => {
    const h = await startGateway({ sendSoftLimitBytes: 16 * 1024, sendHardLimitBytes: 64 * 1024 });
    const slow = await connect(h, 'alice');
    const reader = await connect(h, 'bob');
    await slow.join('r1');
    await reader.join('r2');
    // Stop reading: the kernel buffers fill, then the server's ws buffer grows.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const text = 'x'.repeat(60_000);
    let seq = 0;
    await waitFor(
      async () => {
        if (metric(h, 'roomcast_gateway_slow_consumer_closes_total') > 0) return true;
        await deliver(h, ...Array.from({ length: 10 }, () => roomMessage('r1', ++seq, text)));
        return false;
      },
      'a slow-consumer close',
      20_000,
      10,
    );
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect((await waitFor(() => slow.closed, 'the slow socket to close', 20_000, POLL_MS)).code).toBe(
      CLOSE_CODES.SLOW_CONSUMER,
    );
    expect(metric(h, 'roomcast_gateway_slow_consumer_closes_total')).toBe(1);
    // Others are unaffected.
    await reader.barrier();
    expect(reader.closed).toBeUndefined();
  }, 60_000);
});

/** Seqs of a room's messages in the order they reached the peer (v1 frames and v2 batches). */
function seqsOf(peer: Peer, roomId: string): number[] {
  const out: number[] = [];
  for (const f of peer.frames) {
    if (f.type === 'message' && f.roomId === roomId) out.push(f.seq);
    if (f.type === 'messages' && f.roomId === roomId) out.push(...f.messages.map((m) => m.seq));
  }
  return out;
}

/** Frame types of a room as the peer got them, `messages` frames shown with their seq range. */
function timeline(peer: Peer, roomId: string): string[] {
  return peer.frames.flatMap((f) => {
    if (!('roomId' in f) || f.roomId !== roomId) return [];
    if (f.type === 'messages') return [`messages ${f.fromSeq}-${f.toSeq}`];
    if (f.type === 'message') return [`message ${f.seq}`];
    return f.type === 'joined' || f.type === 'left' ? [f.type] : [];
  });
}

describe('gateway: resume (join with afterSeq)', () => {
  it('sends the missed messages from the cache before joined, then live ones, gapless and without duplicates', async () => {
    const h = await startGateway();
    await h.recent.cache('r1', [1, 2, 3, 4, 5]);
    const peer = await connect(h, 'alice', {}, '2');
    peer.send({ type: 'join', roomId: 'r1', reqId: 'j', afterSeq: 2 });
    const joined = await peer.next('joined');
    expect(joined).toMatchObject({ roomId: 'r1', reqId: 'j', lastSeq: 5, recovered: true, recoveredCount: 3 });
    expect(joined.missing).toBeUndefined();
    await deliver(h, roomMessage('r1', 5), roomMessage('r1', 6));
    await waitFor(() => seqsOf(peer, 'r1').includes(6), 'seq 6', WAIT_MS, POLL_MS);
    await peer.barrier();
    expect(timeline(peer, 'r1')).toEqual(['messages 3-5', 'joined', 'messages 6-6']);
    expect(seqsOf(peer, 'r1')).toEqual([3, 4, 5, 6]);
    // The catch-up frame carries the cached messages as they were accepted.
    expect(peer.all('messages')[0]?.messages[0]).toEqual({ ...roomMessageEvent('r1', 3), roomId: undefined, id: 'id-r1-3' });
  });

  it('holds live messages that arrive during the catch-up and sends only the ones it did not cover', async () => {
    const h = await startGateway();
    const other = await connect(h, 'bob', {}, '2');
    await other.join('r1');
    await h.recent.cache('r1', [1, 2, 3]);
    let open = (): void => undefined;
    h.recent.gate = new Promise<void>((r) => (open = r));
    const peer = await connect(h, 'alice', {}, '2');
    peer.send({ type: 'join', roomId: 'r1', afterSeq: 1 });
    await waitFor(() => h.recent.reads === 1, 'the catch-up read to start', WAIT_MS, POLL_MS);
    // While the cache read waits: 3 (also cached) and 4, 5 arrive live.
    await h.recent.cache('r1', [4]);
    await deliver(h, roomMessage('r1', 3), roomMessage('r1', 4), roomMessage('r1', 5));
    await waitFor(() => seqsOf(other, 'r1').includes(5), 'bob to get 5 live', WAIT_MS, POLL_MS);
    expect(seqsOf(peer, 'r1')).toEqual([]);
    open();
    await peer.next('joined');
    await waitFor(() => seqsOf(peer, 'r1').includes(5), 'alice to get 5', WAIT_MS, POLL_MS);
    await peer.barrier();
    expect(timeline(peer, 'r1')).toEqual(['messages 2-4', 'joined', 'messages 5-5']);
    expect(seqsOf(peer, 'r1')).toEqual([2, 3, 4, 5]);
  });

  it('gives a v1 client one message frame per missed message', async () => {
    const h = await startGateway();
    await h.recent.cache('r1', [1, 2, 3]);
    const peer = await connect(h, 'alice');
    peer.send({ type: 'join', roomId: 'r1', afterSeq: 1 });
    await peer.next('joined');
    expect(timeline(peer, 'r1')).toEqual(['message 2', 'message 3', 'joined']);
  });

  it('sends at most catchupMaxMessages, the newest, and names the older missed range', async () => {
    const h = await startGateway({ catchupMaxMessages: 3 });
    await h.recent.cache('r1', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const peer = await connect(h, 'alice', {}, '2');
    peer.send({ type: 'join', roomId: 'r1', afterSeq: 0 });
    expect(await peer.next('joined')).toMatchObject({
      lastSeq: 10,
      recovered: false,
      recoveredCount: 3,
      missing: { fromSeq: 1, toSeq: 7 },
    });
    expect(seqsOf(peer, 'r1')).toEqual([8, 9, 10]);
    expect(metric(h, 'roomcast_gateway_catchups_total')).toBe(1);
    expect(metric(h, 'roomcast_gateway_catchup_messages_total')).toBe(3);
    expect(metric(h, 'roomcast_gateway_catchups_incomplete_total')).toBe(1);
  });

  it('names the missed range when the cache no longer has it (expired), up to the sequencer head', async () => {
    const h = await startGateway();
    h.recent.seqs.seqs.set('r1', 40);
    const peer = await connect(h, 'alice', {}, '2');
    peer.send({ type: 'join', roomId: 'r1', afterSeq: 30 });
    expect(await peer.next('joined')).toMatchObject({
      lastSeq: 30,
      recovered: false,
      recoveredCount: 0,
      missing: { fromSeq: 31, toSeq: 40 },
    });
    peer.send({ type: 'join', roomId: 'r2', afterSeq: 0 });
    expect(await peer.next('joined', (j) => j.roomId === 'r2')).toMatchObject({ lastSeq: 0, recovered: true, recoveredCount: 0 });
  });

  it('does not call a seq missing that is numbered but not cached yet: it is still on its way live', async () => {
    const h = await startGateway();
    await h.recent.cache('r1', [1, 2, 3]);
    // The filter numbered 4 (then crashed, say) and it has not reached notification yet.
    h.recent.seqs.seqs.set('r1', 4);
    const peer = await connect(h, 'alice', {}, '2');
    peer.send({ type: 'join', roomId: 'r1', afterSeq: 3 });
    const joined = await peer.next('joined');
    expect(joined).toMatchObject({ lastSeq: 3, recovered: true, recoveredCount: 0 });
    expect(joined.missing).toBeUndefined();
    await deliver(h, roomMessage('r1', 4));
    await waitFor(() => seqsOf(peer, 'r1').includes(4), 'seq 4 live', WAIT_MS, POLL_MS);
  });

  it('reports the sequencer head as lastSeq to a plain join of a room with no delivery here yet', async () => {
    const h = await startGateway();
    h.recent.seqs.seqs.set('r1', 41);
    const peer = await connect(h, 'alice', {}, '2');
    expect(await peer.join('r1')).toMatchObject({ lastSeq: 41 });
    expect(seqsOf(peer, 'r1')).toEqual([]);
  });

  it('answers a join of a joined room with afterSeq with the catch-up again (the SDK fills a live gap so)', async () => {
    const h = await startGateway();
    const peer = await connect(h, 'alice', {}, '2');
    await peer.join('r1');
    await h.recent.cache('r1', [1, 2, 3]);
    peer.send({ type: 'join', roomId: 'r1', reqId: 'fill', afterSeq: 1 });
    expect(await peer.next('joined', (j) => j.reqId === 'fill')).toMatchObject({ lastSeq: 3, recovered: true });
    expect(seqsOf(peer, 'r1')).toEqual([2, 3]);
  });

  it('refuses a join with STORE_UNAVAILABLE when the cache cannot be read, and stays out of the room', async () => {
    const h = await startGateway();
    h.recent.failWith = new AppError('STORE_UNAVAILABLE', 'redis down');
    const peer = await connect(h, 'alice', {}, '2');
    peer.send({ type: 'join', roomId: 'r1', reqId: 'j', afterSeq: 3 });
    expect(await peer.next('error', (e) => e.reqId === 'j')).toMatchObject({ code: 'STORE_UNAVAILABLE', temporary: true });
    expect(peer.all('joined')).toEqual([]);
    await deliver(h, roomMessage('r1', 4));
    await sleep(50);
    await peer.barrier();
    expect(seqsOf(peer, 'r1')).toEqual([]);
  });

  it('rate-limits catch-ups per connection with RATE_LIMITED', async () => {
    const h = await startGateway({ catchupBurst: 2, catchupRatePerSec: 0.01 });
    const peer = await connect(h, 'alice', {}, '2');
    for (const reqId of ['a', 'b', 'c']) peer.send({ type: 'join', roomId: 'r1', reqId, afterSeq: 0 });
    expect(await peer.next('error', (e) => e.reqId === 'c')).toMatchObject({ code: 'RATE_LIMITED', temporary: true });
    expect(peer.all('joined').map((j) => j.reqId)).toEqual(['a', 'b']);
    expect(metric(h, 'roomcast_rate_limited_total{service="gateway",limit="catchup"}')).toBe(1);
  });
});

describe('gateway: kept rejections', () => {
  it('sends a user the rejections kept for them when they connect', async () => {
    const h = await startGateway();
    const rejection = { id: 'm1', roomId: 'r1', userId: 'alice', clientMsgId: 'c1', reason: 'blocked', rejectedAt: 1 };
    await h.recent.appendUserNotices([
      { userId: 'alice', data: JSON.stringify(rejection) },
      { userId: 'bob', data: JSON.stringify({ ...rejection, userId: 'bob', clientMsgId: 'b1' }) },
      { userId: 'alice', data: 'not json' },
    ]);
    const alice = await connect(h, 'alice');
    await alice.barrier();
    expect(alice.all('rejected')).toEqual([{ type: 'rejected', roomId: 'r1', clientMsgId: 'c1', reason: 'blocked' }]);
    expect(alice.invalid).toEqual([]);
  });
});

describe('gateway: reply order', () => {
  it('answers a join and a leave sent in one tick with joined, then left, and ends out of the room', async () => {
    const h = await startGateway();
    h.presence.touchDelayMs = 100;
    const peer = await connect(h, 'alice');
    peer.ws.send(JSON.stringify({ type: 'join', roomId: 'r1', reqId: 'j' }));
    peer.ws.send(JSON.stringify({ type: 'leave', roomId: 'r1', reqId: 'l' }));
    await peer.next('left');
    expect(peer.frames.filter((f) => f.type === 'joined' || f.type === 'left').map((f) => f.type)).toEqual(['joined', 'left']);
    await deliver(h, roomMessage('r1', 1));
    await sleep(50);
    await peer.barrier();
    expect(peer.all('message')).toEqual([]);
  });

  it('accepts a chat sent right behind its join, and acks it after joined', async () => {
    const h = await startGateway();
    h.presence.touchDelayMs = 100;
    const peer = await connect(h, 'alice');
    peer.send({ type: 'join', roomId: 'r1', reqId: 'j' });
    peer.send({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'hi' });
    await peer.next('ack');
    expect(peer.frames.filter((f) => f.type === 'joined' || f.type === 'ack').map((f) => f.type)).toEqual(['joined', 'ack']);
  });

  /** Replies in order (counter updates left out), errors as "CODE reqId-or-clientMsgId". */
  const replies = (peer: Peer): string[] =>
    peer.frames
      .filter((f) => f.type === 'joined' || f.type === 'left' || f.type === 'ack' || f.type === 'error')
      .map((f) => (f.type === 'error' ? `${f.code} ${f.reqId ?? f.clientMsgId ?? ''}` : f.type));

  // Found by the protocol fuzz (test/protocol-fuzz.int.test.ts): a chat or like behind a pending
  // join counted as in the room, so one behind a join the room cap refused was acked and delivered.
  it('refuses a chat and a like sent right behind a join that the room cap refuses, publishing nothing', async () => {
    const h = await startGateway({ maxRoomsPerConnection: 1 });
    h.presence.touchDelayMs = 100;
    const peer = await connect(h, 'alice');
    peer.send({ type: 'join', roomId: 'a', reqId: 'ja' });
    peer.send({ type: 'join', roomId: 'b', reqId: 'jb' });
    peer.send({ type: 'chat', roomId: 'b', clientMsgId: 'c1', text: 'not a member' });
    peer.send({ type: 'like', roomId: 'b', count: 5 });
    await waitFor(() => peer.all('error').length >= 3, 'three errors', WAIT_MS, POLL_MS);
    expect(replies(peer)).toEqual([
      'joined',
      'TOO_MANY_ROOMS jb',
      'NOT_IN_ROOM c1',
      'NOT_IN_ROOM ',
    ]);
    await sleep(150);
    expect(h.bus.stats().published).toBe(0);
    expect(await h.presence.getLikes(['b'])).toEqual(new Map([['b', 0]]));
  });

  it('refuses a chat sent behind a leave of its room while the join before it is still in progress', async () => {
    const h = await startGateway();
    h.presence.touchDelayMs = 100;
    const peer = await connect(h, 'alice');
    peer.send({ type: 'join', roomId: 'r1', reqId: 'j' });
    peer.send({ type: 'leave', roomId: 'r1', reqId: 'l' });
    peer.send({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'after leaving' });
    await peer.next('error');
    expect(replies(peer)).toEqual(['joined', 'left', 'NOT_IN_ROOM c1']);
    expect(h.bus.stats().published).toBe(0);
  });
});

describe('gateway: drain', () => {
  it('closes sockets with 4000 spread over drainMs, each after its acks in flight and queued deliveries', async () => {
    const h = await startGateway({ drainMs: 300, deliveryWindowMs: 60_000, deliveryRoomWritesPerSec: 1 });
    const peers = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((u) => connect(h, u, {}, '2')));
    for (const p of peers) await p.join('r1');
    await deliver(h, roomMessage('r1', 1));
    await waitFor(() => peers.every((p) => seqsOf(p, 'r1').length === 1), 'seq 1 everywhere', WAIT_MS, POLL_MS);
    // Queued for a minute-long window, and an ack held by Kafka.
    await deliver(h, roomMessage('r1', 2));
    let release = (): void => undefined;
    h.bus.hold = new Promise<void>((r) => (release = r));
    (peers[0] as Peer).send({ type: 'chat', roomId: 'r1', clientMsgId: 'c1', text: 'in flight' });
    await sleep(20);
    h.stopped = true;
    const started = Date.now();
    const stopping = h.app.stop();
    const closedAt: number[] = [];
    for (const p of peers) void p.whenClosed().then(() => closedAt.push(Date.now() - started));
    // New connections are refused meanwhile, with the reconnect code.
    const late = await open(`${h.url}?token=${await signUserToken(SECRET, 'late')}`);
    expect((await late.whenClosed()).code).toBe(CLOSE_CODES.SHUTDOWN);
    setTimeout(release, 100);
    await stopping;
    for (const p of peers) {
      expect((await p.whenClosed()).code).toBe(CLOSE_CODES.SHUTDOWN);
      expect(seqsOf(p, 'r1')).toEqual([1, 2]);
    }
    expect((peers[0] as Peer).all('ack')).toHaveLength(1);
    // Spread over the window, not all at once.
    expect(Math.max(...closedAt) - Math.min(...closedAt)).toBeGreaterThan(50);
    expect(metric(h, 'roomcast_gateway_drained_total')).toBe(6);
  });
});

describe('gateway: stop', () => {
  it('closes open sockets with 4000 and removes its presence entries', async () => {
    const h = await startGateway();
    const a = await connect(h, 'alice');
    const b = await connect(h, 'bob');
    await a.join('r1');
    await b.join('r2');
    h.stopped = true;
    await h.app.stop();
    // Checked at once: stop() itself must clear presence, not the sockets' later close events.
    expect(await h.presence.getUserGateway('alice')).toBeNull();
    expect(await h.presence.getUserGateway('bob')).toBeNull();
    expect(await h.presence.getRoomGateways(['r1', 'r2'])).toEqual(
      new Map([
        ['r1', []],
        ['r2', []],
      ]),
    );
    expect((await a.whenClosed()).code).toBe(CLOSE_CODES.SHUTDOWN);
    expect((await b.whenClosed()).code).toBe(CLOSE_CODES.SHUTDOWN);
  });
});

describe('gateway: moderation', () => {
  const HOST: RolesClaim = { show: 'host' };
  const MOD: RolesClaim = { show: 'moderator' };

  async function moderate(peer: Peer, action: object, roomId = 'show'): Promise<ServerFrame> {
    const reqId = `m${Math.random().toString(36).slice(2, 8)}`;
    peer.send({ type: 'moderate', roomId, reqId, action });
    return waitFor(
      () => peer.frames.find((f) => (f.type === 'moderated' || f.type === 'error') && f.reqId === reqId),
      'the moderate reply',
      WAIT_MS,
      POLL_MS,
    );
  }

  async function chat(peer: Peer, clientMsgId: string, roomId = 'show'): Promise<ServerFrame> {
    peer.send({ type: 'chat', roomId, clientMsgId, text: 'hi' });
    return waitFor(
      () => peer.frames.find((f) => (f.type === 'ack' || f.type === 'error') && f.clientMsgId === clientMsgId),
      `the reply to ${clientMsgId}`,
      WAIT_MS,
      POLL_MS,
    );
  }

  it('states the role at join: from the token claim, from the room-admin store, viewer when neither', async () => {
    const h = await startGateway();
    await h.roles.set('show', 'stored-mod', 'moderator', 'admin', 1);
    expect((await (await connect(h, 'host', {}, undefined, HOST)).join('show')).role).toBe('host');
    expect((await (await connect(h, 'stored-mod')).join('show')).role).toBe('moderator');
    expect((await (await connect(h, 'viewer')).join('show')).role).toBeUndefined();
    // a claim for another room gives nothing here
    expect((await (await connect(h, 'other', {}, undefined, { elsewhere: 'host' })).join('show')).role).toBeUndefined();
  });

  it('refuses moderation from a viewer with FORBIDDEN, and from a moderator against a host', async () => {
    const h = await startGateway();
    await h.roles.set('show', 'h1', 'host', 'admin', 1);
    const viewer = await connect(h, 'viewer');
    await viewer.join('show');
    expect(await moderate(viewer, { kind: 'mute', userId: 'x', durationMs: 60_000 })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    const mod = await connect(h, 'mod', {}, undefined, MOD);
    await mod.join('show');
    expect(await moderate(mod, { kind: 'ban', userId: 'h1' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(await moderate(mod, { kind: 'set-role', userId: 'viewer', role: 'moderator' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect((await h.moderationStore.state('show')).bans.size).toBe(0);
  });

  it('mute: the muted user is told, their chats are refused with MUTED, others chat on; unmute lifts it', async () => {
    const h = await startGateway();
    const mod = await connect(h, 'mod', {}, undefined, MOD);
    const v = await connect(h, 'v');
    const other = await connect(h, 'other');
    for (const p of [mod, v, other]) await p.join('show');
    expect(await moderate(mod, { kind: 'mute', userId: 'v', durationMs: 60_000 })).toMatchObject({ type: 'moderated', roomId: 'show' });
    const notice = await v.next('room-mode', (f) => f.mutedUntil !== undefined);
    expect(notice.mutedUntil).toBeGreaterThan(Date.now() + 50_000);
    expect(await chat(v, 'c1')).toMatchObject({ type: 'error', code: 'MUTED', temporary: true });
    expect(await chat(other, 'c2')).toMatchObject({ type: 'ack' });
    // a join of the muted user states it
    expect((await (await connect(h, 'v')).join('show')).mutedUntil).toBe(notice.mutedUntil);
    await moderate(mod, { kind: 'unmute', userId: 'v' });
    await v.next('room-mode', (f) => f.mutedUntil === 0);
    expect(await chat(v, 'c3')).toMatchObject({ type: 'ack' });
  });

  it('a mute holds a moderator too (a host imposed it), as chat-ingest would hold it', async () => {
    const h = await startGateway();
    const host = await connect(h, 'host', {}, undefined, HOST);
    const mod = await connect(h, 'mod', {}, undefined, MOD);
    await host.join('show');
    await mod.join('show');
    expect(await moderate(host, { kind: 'mute', userId: 'mod', durationMs: 60_000 })).toMatchObject({ type: 'moderated' });
    expect(await chat(mod, 'm1')).toMatchObject({ type: 'error', code: 'MUTED' });
  });

  it('ban: the user\'s sockets in the room close with 4503, others stay, joins are refused until unban', async () => {
    const h = await startGateway();
    const host = await connect(h, 'host', {}, undefined, HOST);
    const inRoom = await connect(h, 'v');
    const elsewhere = await connect(h, 'v');
    await host.join('show');
    await inRoom.join('show');
    await elsewhere.join('lobby');
    expect(await moderate(host, { kind: 'ban', userId: 'v' })).toMatchObject({ type: 'moderated' });
    expect((await inRoom.whenClosed()).code).toBe(CLOSE_CODES.BANNED);
    await elsewhere.barrier();
    expect(elsewhere.closed).toBeUndefined();
    elsewhere.send({ type: 'join', roomId: 'show', reqId: 'again' });
    expect(await elsewhere.next('error', (f) => f.reqId === 'again')).toMatchObject({ code: 'BANNED', temporary: false });
    expect(await moderate(host, { kind: 'unban', userId: 'v' })).toMatchObject({ type: 'moderated' });
    expect(await elsewhere.join('show')).toMatchObject({ type: 'joined' });
  });

  it('slow mode: one chat per interval for viewers, told to the room; moderators are exempt', async () => {
    const h = await startGateway();
    const mod = await connect(h, 'mod', {}, undefined, MOD);
    const v = await connect(h, 'v');
    await mod.join('show');
    await v.join('show');
    await moderate(mod, { kind: 'slow-mode', intervalMs: 60_000 });
    expect((await v.next('room-mode', (f) => f.slowModeMs !== undefined)).slowModeMs).toBe(60_000);
    expect(await chat(v, 's1')).toMatchObject({ type: 'ack' });
    expect(await chat(v, 's2')).toMatchObject({ type: 'error', code: 'SLOW_MODE', temporary: true });
    expect(await chat(mod, 's3')).toMatchObject({ type: 'ack' });
    expect(await chat(mod, 's4')).toMatchObject({ type: 'ack' });
    expect((await (await connect(h, 'late')).join('show')).slowModeMs).toBe(60_000);
    await moderate(mod, { kind: 'slow-mode', intervalMs: 0 });
    await v.next('room-mode', (f) => f.slowModeMs === 0);
  });

  it('set-role: a host grants moderator; the user is told and may moderate at once; the grant is stored', async () => {
    const h = await startGateway();
    const host = await connect(h, 'host', {}, undefined, HOST);
    const v = await connect(h, 'v');
    const target = await connect(h, 't');
    for (const p of [host, v, target]) await p.join('show');
    expect(await moderate(host, { kind: 'set-role', userId: 'v', role: 'moderator' })).toMatchObject({ type: 'moderated' });
    expect((await v.next('room-mode', (f) => f.role !== undefined)).role).toBe('moderator');
    expect(await h.roles.get('show', 'v')).toBe('moderator');
    expect(await moderate(v, { kind: 'mute', userId: 't', durationMs: 5000 })).toMatchObject({ type: 'moderated' });
    expect(await moderate(host, { kind: 'set-role', userId: 'v', role: 'viewer' })).toMatchObject({ type: 'moderated' });
    await v.next('room-mode', (f) => f.role === 'viewer');
    expect(await moderate(v, { kind: 'unmute', userId: 't' })).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
  });

  it('publishes each action once on room.moderation.applied.v1, keyed by room', async () => {
    const h = await startGateway();
    const got: BusRecord[] = [];
    const sub = await h.bus.subscribe({ groupId: uniqueId('r'), topics: [h.topics.moderation], fromBeginning: true, handler: async (rs) => void got.push(...rs) });
    await sub.ready;
    const mod = await connect(h, 'mod', {}, undefined, MOD);
    await mod.join('show');
    // a seq the room has not reached names no message
    expect(await moderate(mod, { kind: 'delete', seq: 7 })).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    await h.recent.cache('show', [1, 2, 3, 4, 5, 6, 7]);
    const reply = await moderate(mod, { kind: 'delete', seq: 7 });
    const [record] = await waitFor(() => (got.length > 0 ? got : undefined), 'the event', WAIT_MS, POLL_MS);
    expect(record?.key).toBe('show');
    expect(JSON.parse(String(record?.value))).toMatchObject({
      id: (reply as { actionId: string }).actionId,
      roomId: 'show',
      actorId: 'mod',
      actorRole: 'moderator',
      action: { kind: 'delete', seq: 7 },
    });
    await mod.barrier();
    expect(got).toHaveLength(1);
  });

  it('sends `deleted` to the room after the queued messages when a room.deleted delivery comes', async () => {
    const h = await startGateway();
    const v = await connect(h, 'v', {}, '2');
    await v.join('show');
    await deliver(h, { kind: 'room.message', message: roomMessageEvent('show', 1) }, { kind: 'room.deleted', roomId: 'show', seq: 1 });
    await v.next('deleted');
    const types = v.frames.map((f) => f.type).filter((t) => t === 'messages' || t === 'deleted');
    expect(types).toEqual(['messages', 'deleted']);
    expect(v.all('deleted')[0]).toEqual({ type: 'deleted', roomId: 'show', seq: 1 });
  });

  it('a catch-up carries a deleted message as a tombstone (deleted: true, no text)', async () => {
    const h = await startGateway();
    await h.recent.cache('show', [1]);
    await h.recent.append([{ roomId: 'show', seq: 2, data: JSON.stringify({ ...roomMessageEvent('show', 2), text: '', deleted: true }) }]);
    h.recent.seqs.seqs.set('show', 2);
    for (const protocol of ['1', '2']) {
      const v = await connect(h, `v${protocol}`, {}, protocol);
      v.send({ type: 'join', roomId: 'show', reqId: 'j', afterSeq: 0 });
      expect(await v.next('joined')).toMatchObject({ recovered: true, recoveredCount: 2 });
      const got = protocol === '1' ? v.all('message') : v.all('messages').flatMap((f) => f.messages);
      expect(got.map((m) => [m.seq, m.text, m.deleted])).toEqual([
        [1, 'm1', undefined],
        [2, '', true],
      ]);
    }
  });

  it('the HTTP API: admin token may grant host; a user acts by role; a viewer gets 403; bad bodies 400', async () => {
    const h = await startGateway({ moderationAdminToken: 'admin-token-0123456789' });
    const base = h.url.replace('ws://', 'http://').replace('/ws', '');
    const post = async (auth: string, body: unknown, roomId = 'show') =>
      fetch(`${base}/rooms/${roomId}/moderation`, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r1 = await post('admin-token-0123456789', { kind: 'set-role', userId: 'boss', role: 'host' });
    expect(r1.status).toBe(200);
    expect(await h.roles.get('show', 'boss')).toBe('host');
    const bossToken = await signUserToken(SECRET, 'boss');
    expect((await post(bossToken, { kind: 'mute', userId: 'v', durationMs: 60_000 })).status).toBe(200);
    const viewerToken = await signUserToken(SECRET, 'v2');
    const forbidden = await post(viewerToken, { kind: 'ban', userId: 'v' });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await post(bossToken, { kind: 'mute', userId: 'v' })).status).toBe(400);
    expect((await post('not-a-token', { kind: 'unmute', userId: 'v' })).status).toBe(401);
    const state = await fetch(`${base}/rooms/show/moderation`, { headers: { authorization: `Bearer ${bossToken}` } });
    expect(await state.json()).toMatchObject({ roomId: 'show', slowModeMs: 0, mutes: [{ userId: 'v' }], bans: [] });
    expect((await fetch(`${base}/rooms/show/moderation`, { headers: { authorization: `Bearer ${viewerToken}` } })).status).toBe(403);
  });
});

describe('gateway: live room', () => {
  async function submittedOf(h: Harness): Promise<BusRecord[]> {
    const got: BusRecord[] = [];
    const sub = await h.bus.subscribe({ groupId: uniqueId('r'), topics: [h.topics.chatSubmitted], fromBeginning: true, handler: async (rs) => void got.push(...rs) });
    await sub.ready;
    return got;
  }

  it('publishes a gift (high priority, plain text rendering) and a question as messages of their kind, and acks them', async () => {
    const h = await startGateway();
    const got = await submittedOf(h);
    const v = await connect(h, 'v');
    await v.join('show');
    v.send({ type: 'gift', roomId: 'show', clientMsgId: 'g1', giftId: 'rose', count: 3 });
    v.send({ type: 'ask', roomId: 'show', clientMsgId: 'q1', text: 'when is the sale?' });
    v.send({ type: 'chat', roomId: 'show', clientMsgId: 'c1', text: 'hi @ann', mentions: ['ann', 'ann'], replyTo: 4 });
    await v.next('ack', (f) => f.clientMsgId === 'c1');
    await waitFor(() => (got.length === 3 ? got : undefined), 'three submissions', WAIT_MS, POLL_MS);
    const events = got.map((r) => ChatSubmittedV1.parse(JSON.parse(String(r.value))));
    expect(events[0]).toMatchObject({ clientMsgId: 'g1', kind: 'gift', priority: 'high', text: 'sent 3 × rose', data: { giftId: 'rose', count: 3 } });
    expect(events[1]).toMatchObject({ clientMsgId: 'q1', kind: 'question', text: 'when is the sale?' });
    expect(events[1]?.priority).toBeUndefined();
    expect(events[2]).toMatchObject({ clientMsgId: 'c1', mentions: ['ann'], replyTo: 4 });
    expect(events[2]?.kind).toBeUndefined();
  });

  it('delivers gifts at high priority: never thinned over the budget, never held by the delivery window', async () => {
    // A room over its thinning budget, and a window of a minute with one write a second.
    const h = await startGateway({ thinRooms: [{ room: 'hot', budgetPerSec: 1 }], deliveryWindowMs: 60_000, deliveryRoomWritesPerSec: 1 });
    const v = await connect(h, 'viewer', {}, '2');
    await v.join('hot');
    const gift = (seq: number, count: number): GatewayDeliveryV1 => ({
      kind: 'room.message',
      message: {
        ...roomMessageEvent('hot', seq, `sent 1 × rose`),
        userId: 'fan',
        priority: 'high',
        kind: 'gift',
        data: { giftId: 'rose', count: 1, combo: { id: 'id-hot-2', count } },
      },
    });
    const other = (seq: number): GatewayDeliveryV1 => ({ kind: 'room.message', message: { ...roomMessageEvent('hot', seq), userId: 'someone' } });
    await deliver(h, other(1));
    await v.next('messages');
    // Chats 3..6 are held by the window (and over the budget); each gift goes out at once.
    await deliver(h, gift(2, 1), other(3), other(4), gift(5, 2), other(6), gift(7, 3));
    const gifts = await waitFor(
      () => {
        const got = v.all('messages').flatMap((f) => f.messages.filter((m) => m.kind === 'gift'));
        return got.length === 3 ? got : undefined;
      },
      'the three gifts, well before the window ends',
      WAIT_MS,
      POLL_MS,
    );
    expect(gifts.map((m) => [m.seq, m.priority, m.data])).toEqual(
      [2, 5, 7].map((seq, i) => [seq, 'high', { giftId: 'rose', count: 1, combo: { id: 'id-hot-2', count: i + 1 } }]),
    );
    // The chats in between were thinned (budget 1/s: the first one spent it), the gifts never.
    const frames = v.all('messages');
    expect(frames.flatMap((f) => f.messages.filter((m) => m.kind !== 'gift').map((m) => m.seq))).toEqual([1]);
    expect(frames.reduce((n, f) => n + f.thinned, 0)).toBe(3);
    expect(v.invalid).toEqual([]);
  });

  it('dispatches vote, buy and host frames to the live features with the role from join; done or the error', async () => {
    const calls: string[] = [];
    const live = new LiveActions([
      {
        votePoll: async (roomId, userId, pollId, option) => (calls.push(`vote ${roomId} ${userId} ${pollId} ${option}`), { counted: true }),
        buy: async () => {
          throw new AppError('SOLD_OUT', 'none left');
        },
        host: { pin: async (roomId, actor, action) => (calls.push(`pin ${actor.userId} ${actor.role} ${action.text}`), { pinned: true }) },
      },
    ]);
    const h = await startGateway({}, { live });
    const host = await connect(h, 'h', {}, undefined, { show: 'host' });
    const v = await connect(h, 'v');
    await host.join('show');
    await v.join('show');
    v.send({ type: 'vote', roomId: 'show', reqId: 'a', target: { kind: 'poll', pollId: 'p1', option: 1 } });
    expect(await v.next('done', (f) => f.reqId === 'a')).toEqual({ type: 'done', roomId: 'show', reqId: 'a', result: { counted: true } });
    v.send({ type: 'buy', roomId: 'show', reqId: 'b', productId: 'mug' });
    expect(await v.next('error', (f) => f.reqId === 'b')).toMatchObject({ code: 'SOLD_OUT' });
    v.send({ type: 'host', roomId: 'show', reqId: 'c', action: { kind: 'pin', text: 'sale at 8' } });
    expect(await v.next('error', (f) => f.reqId === 'c')).toMatchObject({ code: 'FORBIDDEN' });
    host.send({ type: 'host', roomId: 'show', reqId: 'd', action: { kind: 'pin', text: 'sale at 8' } });
    expect(await host.next('done', (f) => f.reqId === 'd')).toMatchObject({ result: { pinned: true } });
    v.send({ type: 'vote', roomId: 'show', reqId: 'e', target: { kind: 'question', seq: 3 } });
    expect(await v.next('error', (f) => f.reqId === 'e')).toMatchObject({ code: 'NOT_FOUND' });
    v.send({ type: 'vote', roomId: 'other', reqId: 'f', target: { kind: 'poll', pollId: 'p1', option: 0 } });
    expect(await v.next('error', (f) => f.reqId === 'f')).toMatchObject({ code: 'NOT_IN_ROOM' });
    expect(calls).toEqual(['vote show v p1 1', 'pin h host sale at 8']);
  });

  it('Q&A: a moderator marks a question and a viewer may not; upvotes count once; the board reaches the room as room-state', async () => {
    const roomState = new InMemoryRoomStateHub();
    const board = new InMemoryQuestionBoard(roomState);
    await board.add('show', [{ seq: 5, userId: 'ann', text: 'when is the sale?', at: 1 }]);
    const h = await startGateway({}, { live: new LiveActions([questionFeatures(board)]), roomState });
    const m = await connect(h, 'm', {}, undefined, { show: 'moderator' });
    const v = await connect(h, 'v');
    await m.join('show');
    await v.join('show');
    v.send({ type: 'vote', roomId: 'show', reqId: 'u1', target: { kind: 'question', seq: 5 } });
    expect(await v.next('done', (f) => f.reqId === 'u1')).toMatchObject({ result: { counted: true } });
    v.send({ type: 'vote', roomId: 'show', reqId: 'u2', target: { kind: 'question', seq: 5 } });
    expect(await v.next('done', (f) => f.reqId === 'u2')).toMatchObject({ result: { counted: false } });
    v.send({ type: 'host', roomId: 'show', reqId: 'x', action: { kind: 'question', seq: 5, answered: true } });
    expect(await v.next('error', (f) => f.reqId === 'x')).toMatchObject({ code: 'FORBIDDEN' });
    m.send({ type: 'host', roomId: 'show', reqId: 'y', action: { kind: 'question', seq: 5, answered: true } });
    expect(await m.next('done', (f) => f.reqId === 'y')).toMatchObject({ result: { seq: 5 } });
    const answered = await v.next('room-state', (f) => f.key === 'questions' && JSON.stringify(f.value).includes('"answered":true'));
    expect(answered.value).toEqual({ items: [{ seq: 5, userId: 'ann', text: 'when is the sale?', votes: 1, answered: true, highlighted: false }] });
  });

  it('sends the room state at join and pushes each changed key to the room once per change', async () => {
    const roomState = new InMemoryRoomStateHub();
    roomState.put('show', 'pinned', { text: 'welcome', by: 'h', at: 1 });
    roomState.put('show', 'poll', null);
    const h = await startGateway({}, { roomState });
    const v = await connect(h, 'v');
    await v.join('show');
    expect((await v.next('room-state', (f) => f.key === 'pinned')).value).toEqual({ text: 'welcome', by: 'h', at: 1 });
    roomState.put('show', 'leaderboard', { top: [{ userId: 'ann', total: 5 }] });
    expect((await v.next('room-state', (f) => f.key === 'leaderboard')).value).toEqual({ top: [{ userId: 'ann', total: 5 }] });
    roomState.put('show', 'leaderboard', { top: [{ userId: 'ann', total: 9 }] });
    await v.next('room-state', (f) => f.key === 'leaderboard' && f.value !== null && 'top' in f.value && f.value.top[0]?.total === 9);
    await sleep(200);
    await v.barrier();
    // each change once (ticks in between send nothing new); `poll: null` (no poll) at most once
    expect(v.all('room-state').filter((f) => f.key === 'poll').map((f) => f.value)).not.toContain(expect.anything());
    expect(v.all('room-state').filter((f) => f.key === 'poll').length).toBeLessThanOrEqual(1);
    expect(v.all('room-state').filter((f) => f.key === 'leaderboard')).toHaveLength(2);
  });
});

describe('gateway: mentions and the inbox', () => {
  it('sends the newest unread inbox items (at most 20) right after welcome (an empty one when nothing is unread)', async () => {
    const inbox = new InMemoryInboxStore();
    const entry = (n: number, userId = 'bob') => ({ userId, messageId: `m${String(n).padStart(3, '0')}`, reason: 'mention' as const, roomId: 'show', seq: n, fromUserId: 'ann', text: `hi @bob ${n}`, at: 1000 + n });
    await inbox.add(Array.from({ length: 25 }, (_, i) => entry(i + 1)));
    await inbox.add([{ ...entry(30), reason: 'reply', replyTo: 2 }]);
    await inbox.markRead('bob', { ids: (await inbox.list('bob', { limit: 1 })).items.map((i) => i.id) });
    const h = await startGateway({}, { inbox });
    const bob = await connect(h, 'bob');
    const frame = await bob.next('inbox');
    expect(frame.unread).toBe(25);
    expect(frame.items.map((i) => i.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 25 - i));
    expect(frame.items[0]).toEqual({ id: expect.any(String), read: false, roomId: 'show', seq: 25, fromUserId: 'ann', text: 'hi @bob 25', reason: 'mention', at: 1025 });
    expect(bob.frames.map((f) => f.type).slice(0, 2)).toEqual(['welcome', 'inbox']);
    const carl = await connect(h, 'carl');
    expect(await carl.next('inbox')).toEqual({ type: 'inbox', items: [], unread: 0 });
    expect(bob.invalid).toEqual([]);
  });

  it('reads MongoDB only for users whose unread counter is above 0, and when the counters cannot answer', async () => {
    const inbox = new InMemoryInboxStore();
    let lists = 0;
    const list = inbox.list.bind(inbox);
    inbox.list = async (...args) => {
      lists++;
      return list(...args);
    };
    await inbox.add([{ userId: 'bob', messageId: 'm1', reason: 'mention', roomId: 'show', seq: 1, fromUserId: 'ann', text: 'hi @bob', at: 1001 }]);
    const counters = new InMemoryInboxCounters();
    await counters.add(new Map([['bob', 1]]));
    const gets: string[][] = [];
    const get = counters.get.bind(counters);
    counters.get = async (userIds) => {
      gets.push([...userIds]);
      return get(userIds);
    };
    const h = await startGateway({}, { inbox, inboxCounters: counters });
    const [carl, dan] = await Promise.all([connect(h, 'carl'), connect(h, 'dan')]);
    expect(await carl.next('inbox')).toEqual({ type: 'inbox', items: [], unread: 0 });
    expect(await dan.next('inbox')).toEqual({ type: 'inbox', items: [], unread: 0 });
    expect(lists).toBe(0);
    expect(gets.flat().sort()).toEqual(['carl', 'dan']);
    const bob = await connect(h, 'bob');
    expect(await bob.next('inbox')).toMatchObject({ unread: 1, items: [{ seq: 1, text: 'hi @bob' }] });
    expect(lists).toBe(1);
    // Counters down: the inbox is read.
    counters.get = async () => {
      throw new AppError('PRESENCE_UNAVAILABLE', 'redis down (test)');
    };
    const eve = await connect(h, 'eve');
    expect(await eve.next('inbox')).toEqual({ type: 'inbox', items: [], unread: 0 });
    expect(lists).toBe(2);
  });

  it('goes on without the frame when the inbox cannot answer, and without an inbox at all', async () => {
    const inbox = new InMemoryInboxStore();
    inbox.list = async () => {
      throw new AppError('STORE_UNAVAILABLE', 'mongo down (test)');
    };
    const failing = await startGateway({}, { inbox });
    const bob = await connect(failing, 'bob');
    await bob.join('show');
    await bob.barrier();
    expect(bob.all('inbox')).toEqual([]);
    const without = await startGateway();
    const carl = await connect(without, 'carl');
    await carl.barrier();
    expect(carl.all('inbox')).toEqual([]);
  });

  it('turns a user.mention delivery into a mention frame on that user\'s sockets only', async () => {
    const h = await startGateway();
    const bob = await connect(h, 'bob');
    const bob2 = await connect(h, 'bob');
    const ann = await connect(h, 'ann');
    const message = { ...roomMessageEvent('show', 7, 'hi @bob'), userId: 'ann', replyTo: 3, mentions: ['bob'] };
    await deliver(h, { kind: 'user.mention', userId: 'bob', reason: 'reply', message });
    const expected = { type: 'mention', roomId: 'show', seq: 7, fromUserId: 'ann', text: 'hi @bob', reason: 'reply', replyTo: 3, at: message.acceptedAt };
    expect(await bob.next('mention')).toEqual(expected);
    expect(await bob2.next('mention')).toEqual(expected);
    await ann.barrier();
    expect(ann.all('mention')).toEqual([]);
  });
});
