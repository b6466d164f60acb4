import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Router } from 'express';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { TokenVerifier } from '@roomcast/auth';
import type { BusRecord, MessageBus, Subscription } from '@roomcast/bus';
import {
  CLOSE_CODES,
  type ChatAcceptedV1,
  ChatRejectedV1,
  GatewayDeliveryV1,
  ModerationEventV1,
  negotiateProtocol,
  PROTOCOL_QUERY_PARAM,
  type ProtocolVersion,
  type RolesClaim,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError, toAppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { LiveActions } from '@roomcast/live';
import { DEFAULT_MODERATION_VIEW, ModerationView, RoomModeration, type ModerationStore } from '@roomcast/moderation';
import type { InboxCounters, PresenceStore } from '@roomcast/presence';
import type { RoomStateReader } from '@roomcast/room-state';
import type { RecentMessages } from '@roomcast/sequencer';
import type { InboxStore, RoomRoleStore } from '@roomcast/store';
import { ConsumerMetrics, decodeBatch, MetricsRegistry, rateLimitedCounter, type ServiceApp } from '@roomcast/service-kit';
import { ATTR } from '@roomcast/telemetry';
import { Connection, expiryMs, sendBudget } from './connection';
import { ConnectionCaps } from './connection-caps';
import { fanoutMetrics, RoomFanout } from './fanout';
import { ModerationEffects } from './moderation';
import { moderationRouter } from './moderation-api';
import { handleFrame, type ProtocolContext } from './protocol';
import { RoomCounters } from './room-counters';
import { RoleDirectory } from './role-directory';
import { RoomRegistry } from './room-registry';
import { RoomStatePush } from './room-state-push';
import { ThinningPolicy, type RoomThinningRule } from './thinning';
import { Ticker } from './ticker';
import { parseJsonOrUndefined } from './wire';

export interface GatewayOptions {
  gatewayId: string;
  wsPath: string;
  maxPayloadBytes: number;
  maxRoomsPerConnection: number;
  heartbeatIntervalMs: number;
  sendSoftLimitBytes: number;
  sendHardLimitBytes: number;
  chatRatePerSec: number;
  chatBurst: number;
  /** Chat per user over all their sockets and gateways (Redis token bucket). */
  userChatRatePerSec: number;
  userChatBurst: number;
  /** Likes per user per room over all their sockets and gateways. */
  userLikesPerSec: number;
  userLikesBurst: number;
  presenceRefreshMs: number;
  likesTickMs: number;
  onlineTickMs: number;
  /** Batched delivery (fanout.ts): longest wait, ms. */
  deliveryWindowMs: number;
  /** Socket writes per second one room may cost: sets the window of rooms with fewer members. */
  deliveryRoomWritesPerSec: number;
  /** Messages that flush a room's queue at once. */
  deliveryMaxBatch: number;
  /** Thinning: chat messages per second per viewer in any room; 0 = off. */
  thinBudgetPerSec: number;
  /** Per-room thinning budgets (exact ids or `prefix*`). */
  thinRooms: RoomThinningRule[];
  /** Most messages one catch-up (join with afterSeq) sends. */
  catchupMaxMessages: number;
  /** Catch-ups per second per connection, and the burst. */
  catchupRatePerSec: number;
  catchupBurst: number;
  /** Drain on stop: sockets are told to reconnect elsewhere (close 4000) spread over this many ms. */
  drainMs: number;
  /** Open sockets one user may have over every gateway (Redis; this gateway's own count when Redis cannot answer); 0 = no cap. */
  maxConnectionsPerUser: number;
  /** Open sockets one client address may have over every gateway (as maxConnectionsPerUser); 0 = no cap. */
  maxConnectionsPerIp: number;
  /** Rooms one user may be in over all their sockets on this gateway. */
  maxRoomsPerUser: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy: boolean;
  /** Bearer token of the platform admin on the moderation API; undefined = users (by role) only. */
  moderationAdminToken?: string | undefined;
  /** How often the rooms' live state (leaderboard, Q&A, poll, pinned, product) is checked for changes, ms. */
  roomStateTickMs: number;
}

/** Most unread items in the `inbox` frame at connect (the rest: GET /inbox on persistence). */
export const INBOX_FRAME_ITEMS = 20;
/** The `inbox` frame of a user whose unread counter is 0 (sent so a client can clear its badge). */
const EMPTY_INBOX_FRAME = { type: 'inbox', items: [], unread: 0 } as const;

export interface GatewayDeps {
  bus: MessageBus;
  presence: PresenceStore;
  /** The recent-message cache catch-ups read (written by notification). */
  recent: RecentMessages;
  /** Verifies user tokens at the handshake and in `refresh` frames. */
  verifyToken: TokenVerifier;
  /** Mutes, bans and slow mode of rooms (Redis), shared by every gateway and chat-ingest. */
  moderationStore: ModerationStore;
  /** The room-admin store (granted roles; MongoDB). */
  roles: RoomRoleStore;
  /** The live-room features (Q&A, polls, pinned message, products) behind `vote`, `buy`, `host`. */
  live: LiveActions;
  /** The rooms' rendered live state (Redis), pushed as `room-state` frames. */
  roomState: RoomStateReader;
  /**
   * The inbox (MongoDB; written by persistence): read once per connect for the `inbox` frame (the
   * user's newest unread mentions and replies, at most INBOX_FRAME_ITEMS). Absent: no frame.
   */
  inbox?: InboxStore | undefined;
  /**
   * Unread counters per user (Redis; kept by persistence), read first at connect: a user at 0 gets
   * an empty `inbox` frame without a MongoDB read. Absent: the inbox is read at every connect.
   */
  inboxCounters?: InboxCounters | undefined;
  logger: Logger;
  topics: TopicNames;
  options: GatewayOptions;
  metrics?: MetricsRegistry;
}

export interface GatewayApp extends ServiceApp {
  readonly gatewayId: string;
  /** The moderation HTTP API (`/rooms/:roomId/moderation`). */
  readonly router: Router;
  /** Handles WebSocket upgrades on `options.wsPath` of this HTTP server. */
  attach(server: Server): void;
}

/**
 * gateway: holds WebSocket sessions. Chat goes to Kafka (ack once Kafka has it); deliveries come
 * back on this gateway's own delivery topic and fan out to the room's sockets, each frame encoded
 * once. Likes and online counts roll up in Redis and go out at fixed ticks.
 */
export function createGatewayApp(deps: GatewayDeps): GatewayApp {
  const { options, logger, presence, bus, topics } = deps;
  const gatewayId = options.gatewayId;
  const metrics = deps.metrics ?? new MetricsRegistry();
  const registry = new RoomRegistry();
  const budget = sendBudget(metrics, options.sendSoftLimitBytes, options.sendHardLimitBytes);
  const fanout = new RoomFanout(
    registry,
    {
      windowMs: options.deliveryWindowMs,
      roomWritesPerSec: options.deliveryRoomWritesPerSec,
      maxBatch: options.deliveryMaxBatch,
      thinning: new ThinningPolicy(options.thinBudgetPerSec, options.thinRooms),
    },
    fanoutMetrics(metrics),
  );
  const consumerMetrics = new ConsumerMetrics({ metrics, service: 'gateway', logger });
  const capRefusals = metrics.counterFamily(
    'roomcast_gateway_limit_refusals_total',
    'connections (TOO_MANY_CONNECTIONS) and joins (TOO_MANY_ROOMS) refused by a cap, by cap',
    ['limit'],
  );
  const capsFailedOpen = metrics.counterFamily(
    'roomcast_gateway_limit_failed_open_total',
    'connections admitted on this gateway\'s own count because Redis could not say the count over every gateway, by cap',
    ['limit'],
  );
  metrics.gauge('roomcast_gateway_connections', 'open WebSocket sessions', () => registry.connectionCount());
  const drained = metrics.counter('roomcast_gateway_drained_total', 'sockets told to reconnect elsewhere (close 4000) by a drain');
  metrics.gauge('roomcast_gateway_rooms', 'rooms with viewers on this gateway', () => registry.rooms.size);

  const presenceTtlMs = options.presenceRefreshMs * 3;
  const counters = new RoomCounters(registry, presence, gatewayId, logger, options.onlineTickMs * 3);
  const caps = new ConnectionCaps(
    { gatewayId, maxPerUser: options.maxConnectionsPerUser, maxPerIp: options.maxConnectionsPerIp, ttlMs: presenceTtlMs },
    presence,
    {
      refused: { user: capRefusals.labels({ limit: 'connections-per-user' }), ip: capRefusals.labels({ limit: 'connections-per-ip' }) },
      failedOpen: { user: capsFailedOpen.labels({ limit: 'connections-per-user' }), ip: capsFailedOpen.labels({ limit: 'connections-per-ip' }) },
    },
    logger,
  );
  const ticker = new Ticker(logger);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayloadBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  let subscription: Subscription | undefined;
  let moderationSubscription: Subscription | undefined;
  let accepting = false;

  const moderation = new RoomModeration({
    store: deps.moderationStore,
    roles: deps.roles,
    bus,
    topics,
    roomHead: async (roomId) => (await deps.recent.after(roomId, Number.MAX_SAFE_INTEGER, 1)).headSeq,
  });
  const moderationView = new ModerationView(deps.moderationStore, DEFAULT_MODERATION_VIEW);
  const roleDirectory = new RoleDirectory(deps.roles);
  const effects = new ModerationEffects(registry, moderationView);
  const statePush = new RoomStatePush(registry, deps.roomState, logger);
  const moderationRefused = metrics.counterFamily(
    'roomcast_gateway_moderation_refusals_total',
    'chats and joins refused by moderation (muted, banned, slow mode), by reason',
    ['reason'],
  );
  const moderationActions = metrics.counterFamily('roomcast_gateway_moderation_actions_total', 'moderation actions applied on this gateway, by kind', ['kind']);
  const onModerated = (event: ModerationEventV1): void => {
    moderationActions.labels({ kind: event.action.kind }).inc();
    roleDirectory.apply(event);
    effects.apply(event);
  };

  const ctx: ProtocolContext = {
    gatewayId,
    registry,
    bus,
    presence,
    logger,
    topics,
    maxRoomsPerConnection: options.maxRoomsPerConnection,
    maxRoomsPerUser: options.maxRoomsPerUser,
    userLimits: {
      chat: { ratePerSec: options.userChatRatePerSec, burst: options.userChatBurst },
      likes: { ratePerSec: options.userLikesPerSec, burst: options.userLikesBurst },
    },
    presenceTtlMs,
    counters,
    recent: deps.recent,
    verifyToken: deps.verifyToken,
    catchup: { maxMessages: options.catchupMaxMessages, ratePerSec: options.catchupRatePerSec, burst: options.catchupBurst },
    catchupCounters: {
      catchups: metrics.counter('roomcast_gateway_catchups_total', 'joins with afterSeq answered with a catch-up'),
      messages: metrics.counter('roomcast_gateway_catchup_messages_total', 'messages sent by catch-ups'),
      incomplete: metrics.counter('roomcast_gateway_catchups_incomplete_total', 'catch-ups that left an older range to page from history (joined.missing)'),
    },
    rateLimited: {
      chat: rateLimitedCounter(metrics, 'gateway', 'chat'),
      catchup: rateLimitedCounter(metrics, 'gateway', 'catchup'),
      userChat: rateLimitedCounter(metrics, 'gateway', 'user-chat'),
      userLikes: rateLimitedCounter(metrics, 'gateway', 'user-likes'),
    },
    roomCapRefusals: {
      perConnection: capRefusals.labels({ limit: 'rooms-per-connection' }),
      perUser: capRefusals.labels({ limit: 'rooms-per-user' }),
    },
    moderation,
    roles: roleDirectory,
    moderationView,
    moderationStore: deps.moderationStore,
    onModerated,
    live: deps.live,
    sendRoomState: (conn, roomId) => statePush.sendTo(conn, roomId),
    moderationRefusals: {
      muted: moderationRefused.labels({ reason: 'muted' }),
      banned: moderationRefused.labels({ reason: 'banned' }),
      slowMode: moderationRefused.labels({ reason: 'slow-mode' }),
    },
  };

  // ------------------------------------------------------------------ connections

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== options.wsPath) {
      socket.destroy();
      return;
    }
    let userId: string | undefined;
    let rolesClaim: RolesClaim | undefined;
    let expiresAt = Number.POSITIVE_INFINITY;
    const ip = clientAddress(req, options.trustProxy);
    let refusal: AppError | undefined;
    const protocol = negotiateProtocol(url.searchParams.get(PROTOCOL_QUERY_PARAM));
    if (!accepting) refusal = new AppError('SHUTTING_DOWN', 'gateway is not accepting connections');
    else if (protocol === undefined)
      refusal = new AppError(
        'BAD_REQUEST',
        `${PROTOCOL_QUERY_PARAM} must be a positive integer (the newest protocol version the client speaks)`,
      );
    else {
      try {
        const bearer = req.headers.authorization?.startsWith('Bearer ')
          ? req.headers.authorization.slice(7)
          : undefined;
        const claims = await deps.verifyToken(url.searchParams.get('token') ?? bearer);
        userId = claims.userId;
        rolesClaim = claims.roles;
        expiresAt = expiryMs(claims.exp);
      } catch (err) {
        refusal = toAppError(err, 'UNAUTHORIZED');
      }
      // Counted from here until the TCP socket closes, whatever happens to the handshake.
      if (refusal === undefined && userId !== undefined) refusal = await caps.admit(userId, ip, socket);
    }
    // Upgrade even when refusing, so the client sees a close code it can act on (browsers
    // cannot read an HTTP 401 on a WebSocket handshake).
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (refusal || !userId || protocol === undefined) {
        ws.close(closeCodeFor(refusal), refusal?.message ?? 'unauthorized');
        return;
      }
      void onConnection(ws, socket, userId, protocol, expiresAt, rolesClaim);
    });
  }

  /** The Connection of each open socket, for the shared socket listeners below. */
  const connections = new WeakMap<WebSocket, Connection>();
  const chatLimits = { ratePerSec: options.chatRatePerSec, burst: options.chatBurst };

  function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    const conn = connections.get(this);
    if (conn === undefined) return;
    conn.alive = true;
    handleFrame(ctx, conn, data, isBinary);
  }

  function onSocketPong(this: WebSocket): void {
    const conn = connections.get(this);
    if (conn !== undefined) conn.alive = true;
  }

  function onSocketError(this: WebSocket, err: Error): void {
    logger.debug({ err, connId: connections.get(this)?.id }, 'socket error');
  }

  function onSocketClose(this: WebSocket): void {
    const conn = connections.get(this);
    if (conn === undefined) return;
    connections.delete(this);
    conn.closed = true;
    const emptied = registry.removeConnection(conn);
    const stillHere = registry.users.has(conn.userId);
    void Promise.all([
      ...emptied.map((roomId) => presence.removeRoomGateway(roomId, gatewayId)),
      stillHere ? Promise.resolve() : presence.removeUser(conn.userId, gatewayId),
    ]).catch((err: unknown) => logger.warn({ err }, 'presence cleanup failed'));
  }

  async function onConnection(
    ws: WebSocket,
    socket: Duplex,
    userId: string,
    protocol: ProtocolVersion,
    expiresAt: number,
    rolesClaim: RolesClaim | undefined,
  ): Promise<void> {
    const conn = new Connection(randomUUID(), userId, ws, socket, protocol, budget, chatLimits);
    conn.expiresAt = expiresAt;
    conn.rolesClaim = rolesClaim;
    registry.addConnection(conn);
    connections.set(ws, conn);
    // The same four listeners for every socket (no closures per connection: idle sockets are
    // most of a gateway's memory).
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('error', onSocketError);
    ws.on('close', onSocketClose);
    try {
      await presence.setUserGateway(userId, gatewayId, presenceTtlMs);
    } catch (err) {
      logger.warn({ err, userId }, 'could not record user presence');
    }
    conn.sendJson({
      type: 'welcome',
      protocol,
      sessionId: conn.id,
      userId,
      gatewayId,
      heartbeatMs: options.heartbeatIntervalMs,
      ...(Number.isFinite(expiresAt) ? { expiresAt } : {}),
    });
    // Rejections of this user's chats kept by notification (routed while the user was between
    // gateways, or offline): read after the user was registered here, so none falls in between.
    // Some may have come before; the SDK drops a repeat by clientMsgId.
    try {
      for (const data of await deps.recent.userNotices(userId)) {
        const r = ChatRejectedV1.safeParse(parseJsonOrUndefined(data));
        if (r.success) conn.sendJson(rejectedFrame(r.data));
      }
    } catch (err) {
      logger.warn({ err, userId }, 'could not read kept notices');
    }
    if (deps.inbox !== undefined) await sendInbox(conn, deps.inbox);
  }

  /**
   * The user's newest unread notices, once per connect (one bounded read, off the message path).
   * The unread counter comes first: most users have nothing unread, and a find plus a count on
   * MongoDB per socket was a suspect of the joins timing out at 1 000 connects/s. When the counter
   * cannot answer, the inbox is read; when the inbox cannot answer, the session goes on without
   * the frame: the page's inbox panel can still ask over HTTP.
   */
  async function sendInbox(conn: Connection, inbox: InboxStore): Promise<void> {
    if (deps.inboxCounters !== undefined) {
      try {
        if ((await unreadCount(deps.inboxCounters, conn.userId)) === 0) {
          conn.sendJson(EMPTY_INBOX_FRAME);
          return;
        }
      } catch (err) {
        logger.debug({ err, userId: conn.userId }, 'unread counter unavailable: reading the inbox');
      }
    }
    try {
      const { items, unread } = await inbox.list(conn.userId, { limit: INBOX_FRAME_ITEMS, unreadOnly: true });
      conn.sendJson({ type: 'inbox', items, unread });
    } catch (err) {
      logger.warn({ err, userId: conn.userId }, 'could not read the inbox: no inbox frame');
    }
  }

  /** Counter reads of the connects of one tick, answered by one MGET. */
  let counterReads: { userId: string; resolve: (unread: number) => void; reject: (err: unknown) => void }[] = [];

  function unreadCount(counters: InboxCounters, userId: string): Promise<number> {
    return new Promise((resolve, reject) => {
      if (counterReads.push({ userId, resolve, reject }) === 1) setImmediate(flushCounterReads, counters);
    });
  }

  function flushCounterReads(counters: InboxCounters): void {
    const batch = counterReads;
    counterReads = [];
    counters.get(batch.map((r) => r.userId)).then(
      (counts) => {
        for (const [i, r] of batch.entries()) r.resolve(counts[i] ?? 0);
      },
      (err: unknown) => {
        for (const r of batch) r.reject(err);
      },
    );
  }

  // ------------------------------------------------------------------ deliveries

  function deliverRejection(r: ChatRejectedV1): void {
    const conns = registry.users.get(r.userId);
    if (!conns) return;
    const frame = JSON.stringify(rejectedFrame(r));
    for (const c of conns) c.send(frame);
  }

  /** A message mentions a user (or replies to theirs): a `mention` to each of their sockets here. */
  function deliverMention(userId: string, reason: 'mention' | 'reply', m: ChatAcceptedV1): void {
    const conns = registry.users.get(userId);
    if (conns === undefined) return;
    const frame = JSON.stringify({
      type: 'mention',
      roomId: m.roomId,
      seq: m.seq,
      fromUserId: m.userId,
      text: m.text,
      reason,
      ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
      at: m.acceptedAt,
    });
    for (const c of conns) c.send(frame);
  }

  /**
   * A moderator deleted a message: the room's queue goes out first (the message may be in it),
   * then `deleted`, encoded once for every member.
   */
  function deliverDeleted(roomId: string, seq: number): void {
    const state = registry.rooms.get(roomId);
    if (state === undefined) return;
    fanout.flush(state);
    const frame = JSON.stringify({ type: 'deleted', roomId, seq });
    for (const c of state.members) c.send(frame);
  }

  /** One parse and one span per record (continuing its trace); room messages queue for their room's flush. */
  function onDeliveries(records: BusRecord[]): Promise<void> {
    return decodeBatch('gateway.deliver', GatewayDeliveryV1, records, async (batch) => {
      for (const { event, span } of batch) {
        // One span per delivery with the socket count as an attribute, never a span per socket.
        span.setAttribute(ATTR.gatewayId, gatewayId);
        if (event.kind === 'room.message') span.setAttribute(ATTR.fanout, fanout.enqueue(event.message));
        else if (event.kind === 'user.rejected') deliverRejection(event.rejected);
        else if (event.kind === 'room.deleted') deliverDeleted(event.roomId, event.seq);
        else deliverMention(event.userId, event.reason, event.message);
      }
    });
  }

  /** Moderation actions from any gateway or API: the view changes and the sockets concerned hear of it. */
  function onModerationEvents(records: BusRecord[]): Promise<void> {
    return decodeBatch('gateway.moderation', ModerationEventV1, records, async (batch) => {
      for (const { event } of batch) onModerated(event);
    });
  }

  // ------------------------------------------------------------------ ticks

  async function presenceTick(): Promise<void> {
    try {
      await Promise.all([
        presence.refreshUsers([...registry.users.keys()], gatewayId, presenceTtlMs),
        registry.rooms.size > 0
          ? presence.touchRoomGateways([...registry.rooms.keys()], gatewayId, presenceTtlMs)
          : Promise.resolve(),
        caps.report(),
      ]);
    } catch (err) {
      logger.warn({ err }, 'presence refresh failed');
    }
  }

  /** Closes the sockets whose token expired (no `refresh` came) with 4502. */
  function expiryTick(): void {
    const now = Date.now();
    for (const conns of registry.users.values())
      for (const c of conns) if (c.expiresAt <= now) c.close(CLOSE_CODES.TOKEN_EXPIRED, 'token expired; refresh before expiresAt');
  }

  function heartbeatTick(): void {
    for (const conns of registry.users.values()) {
      for (const c of conns) {
        if (!c.alive) {
          c.close(CLOSE_CODES.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
    }
  }

  return {
    gatewayId,
    metrics,
    info: () => ({ gatewayId }),
    router: moderationRouter({
      moderation,
      store: deps.moderationStore,
      verifyToken: deps.verifyToken,
      adminToken: options.moderationAdminToken,
      onModerated,
      rateLimited: rateLimitedCounter(metrics, 'gateway', 'moderation-api'),
    }),
    readiness: {
      bus: () => bus.healthy(),
      presence: () => presence.healthy(),
      delivering: () => subscription?.live() ?? false,
      moderation: () => moderationSubscription?.live() ?? false,
    },
    attach(server) {
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        onUpgrade(req, socket, head).catch((err: unknown) => {
          logger.error({ err }, 'upgrade failed');
          socket.destroy();
        });
      });
    },
    async start() {
      // Indexes of the room-admin store (idempotent); a store that is down only means roles from tokens for now.
      void deps.roles.init().catch((err: unknown) => logger.warn({ err }, 'room-admin store init failed; roles come from tokens until it answers'));
      const deliveryTopic = topics.delivery(gatewayId);
      await bus.ensureTopics([{ name: topics.chatSubmitted }, { name: deliveryTopic }, { name: topics.moderation }]);
      // A fresh group per incarnation: a restarted gateway must not replay deliveries meant for
      // the sockets of its previous life; it reads from the end of its topic.
      const sub = await consumerMetrics.subscribe(bus, {
        groupId: `gateway.${gatewayId}.${randomUUID().slice(0, 8)}`,
        topics: [deliveryTopic],
        fromBeginning: false,
        handler: onDeliveries,
      });
      // Every gateway sees every moderation action, from now on (what came before is in Redis).
      const modSub = await consumerMetrics.subscribe(bus, {
        groupId: `gateway.${gatewayId}.moderation.${randomUUID().slice(0, 8)}`,
        topics: [topics.moderation],
        fromBeginning: false,
        handler: onModerationEvents,
      });
      await Promise.all([sub.ready, modSub.ready]);
      subscription = sub;
      moderationSubscription = modSub;
      ticker.every(options.heartbeatIntervalMs, heartbeatTick);
      ticker.every(EXPIRY_TICK_MS, expiryTick);
      ticker.every(options.presenceRefreshMs, presenceTick);
      ticker.every(options.likesTickMs, () => counters.likesTick());
      ticker.every(options.onlineTickMs, () => counters.onlineTick());
      ticker.every(options.roomStateTickMs, async () => {
        const rooms = [...registry.rooms.keys()];
        await deps.live.tick(rooms).catch((err: unknown) => logger.warn({ err }, 'live tick failed'));
        await statePush.tick();
      });
      accepting = true;
    },
    async stop() {
      accepting = false;
      ticker.stop();
      const rooms = [...registry.rooms.keys()];
      const users = [...registry.users.keys()];
      await drain();
      // Flush what the sockets gave us, then drop out of presence so nothing is routed here.
      await counters.likesTick();
      await Promise.all([
        ...rooms.map((r) => presence.removeRoomGateway(r, gatewayId)),
        ...users.map((u) => presence.removeUser(u, gatewayId)),
        counters.reportGone(rooms),
        caps.releaseAll(),
      ]).catch((err: unknown) => logger.warn({ err }, 'presence cleanup on stop failed'));
      const sub = subscription;
      const modSub = moderationSubscription;
      subscription = undefined;
      moderationSubscription = undefined;
      await Promise.all([sub?.stop(), modSub?.stop()]);
      wss.close();
    },
  };

  /**
   * Tells every socket to reconnect elsewhere (close 4000), spread over `drainMs` with jitter so
   * the other gateways are not hit by every viewer at once. Deliveries keep flowing to the sockets
   * still open; before a socket closes, its room queues are flushed and its replies in flight
   * (acks of published chats) go out. The SDK resumes each room with `afterSeq` on the gateway
   * it reconnects to, so nothing is lost in between.
   */
  async function drain(): Promise<void> {
    const conns: Connection[] = [];
    for (const set of registry.users.values()) for (const c of set) conns.push(c);
    // Each socket closes at a random moment of the window.
    const at = conns.map(() => Math.random() * options.drainMs);
    const order = conns.map((_, i) => i).sort((a, b) => (at[a] as number) - (at[b] as number));
    const started = performance.now();
    const closing: Promise<void>[] = [];
    for (const i of order) {
      const wait = (at[i] as number) - (performance.now() - started);
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      const c = conns[i] as Connection;
      for (const roomId of c.rooms) {
        const state = registry.rooms.get(roomId);
        if (state !== undefined) fanout.flush(state);
      }
      closing.push(closeWhenSettled(c));
    }
    await Promise.all(closing);
    fanout.flushAll();
    drained.inc(conns.length);
  }

  /** Closes with 4000 once the connection's replies in flight went out (bounded by 2 s). */
  async function closeWhenSettled(c: Connection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([c.settled(), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    c.close(CLOSE_CODES.SHUTDOWN, 'gateway draining; reconnect');
  }
}

/** How often sockets are checked for an expired token: a socket closes at most this long after it. */
const EXPIRY_TICK_MS = 1000;

function rejectedFrame(r: ChatRejectedV1): object {
  return { type: 'rejected', roomId: r.roomId, clientMsgId: r.clientMsgId, reason: r.reason };
}

/**
 * The client's address: the socket's peer, or — when `trustProxy` (behind a proxy that sets it;
 * otherwise any client could name any address) — the first X-Forwarded-For entry.
 */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

function closeCodeFor(refusal: AppError | undefined): number {
  switch (refusal?.code) {
    case 'TOKEN_EXPIRED':
      return CLOSE_CODES.TOKEN_EXPIRED;
    case 'SHUTTING_DOWN':
      return CLOSE_CODES.SHUTDOWN;
    case 'BAD_REQUEST':
      return CLOSE_CODES.BAD_REQUEST;
    case 'TOO_MANY_CONNECTIONS':
      return CLOSE_CODES.TOO_MANY_CONNECTIONS;
    default:
      return CLOSE_CODES.UNAUTHORIZED;
  }
}

/** Maps the gateway env (standalone or embedded) to GatewayOptions. */
export function gatewayOptionsFromConfig(
  c: {
    WS_PATH: string;
    WS_MAX_PAYLOAD_BYTES: number;
    WS_MAX_ROOMS_PER_CONNECTION: number;
    WS_HEARTBEAT_INTERVAL_MS: number;
    WS_SEND_SOFT_LIMIT_BYTES: number;
    WS_SEND_HARD_LIMIT_BYTES: number;
    WS_CHAT_RATE_PER_SEC: number;
    WS_CHAT_BURST: number;
    USER_CHAT_RATE_PER_SEC?: number | undefined;
    USER_CHAT_BURST?: number | undefined;
    USER_LIKES_PER_SEC: number;
    USER_LIKES_BURST: number;
    PRESENCE_REFRESH_MS: number;
    LIKES_TICK_MS: number;
    ONLINE_TICK_MS: number;
    DELIVERY_WINDOW_MS: number;
    DELIVERY_ROOM_WRITES_PER_SEC: number;
    DELIVERY_MAX_BATCH: number;
    DELIVERY_THIN_BUDGET_PER_SEC: number;
    DELIVERY_THIN_ROOMS: RoomThinningRule[];
    CATCHUP_MAX_MESSAGES: number;
    CATCHUP_RATE_PER_SEC: number;
    CATCHUP_BURST: number;
    GATEWAY_DRAIN_MS: number;
    WS_MAX_CONNECTIONS_PER_USER: number;
    WS_MAX_CONNECTIONS_PER_IP: number;
    WS_MAX_ROOMS_PER_USER: number;
    WS_TRUST_PROXY: boolean;
    MODERATION_ADMIN_TOKEN?: string | undefined;
    ROOM_STATE_TICK_MS: number;
  },
  gatewayId: string,
): GatewayOptions {
  return {
    gatewayId,
    wsPath: c.WS_PATH,
    maxPayloadBytes: c.WS_MAX_PAYLOAD_BYTES,
    maxRoomsPerConnection: c.WS_MAX_ROOMS_PER_CONNECTION,
    heartbeatIntervalMs: c.WS_HEARTBEAT_INTERVAL_MS,
    sendSoftLimitBytes: c.WS_SEND_SOFT_LIMIT_BYTES,
    sendHardLimitBytes: c.WS_SEND_HARD_LIMIT_BYTES,
    chatRatePerSec: c.WS_CHAT_RATE_PER_SEC,
    chatBurst: c.WS_CHAT_BURST,
    userChatRatePerSec: c.USER_CHAT_RATE_PER_SEC ?? c.WS_CHAT_RATE_PER_SEC,
    userChatBurst: c.USER_CHAT_BURST ?? c.WS_CHAT_BURST,
    userLikesPerSec: c.USER_LIKES_PER_SEC,
    userLikesBurst: c.USER_LIKES_BURST,
    presenceRefreshMs: c.PRESENCE_REFRESH_MS,
    likesTickMs: c.LIKES_TICK_MS,
    onlineTickMs: c.ONLINE_TICK_MS,
    deliveryWindowMs: c.DELIVERY_WINDOW_MS,
    deliveryRoomWritesPerSec: c.DELIVERY_ROOM_WRITES_PER_SEC,
    deliveryMaxBatch: c.DELIVERY_MAX_BATCH,
    thinBudgetPerSec: c.DELIVERY_THIN_BUDGET_PER_SEC,
    thinRooms: c.DELIVERY_THIN_ROOMS,
    catchupMaxMessages: c.CATCHUP_MAX_MESSAGES,
    catchupRatePerSec: c.CATCHUP_RATE_PER_SEC,
    catchupBurst: c.CATCHUP_BURST,
    drainMs: c.GATEWAY_DRAIN_MS,
    maxConnectionsPerUser: c.WS_MAX_CONNECTIONS_PER_USER,
    maxConnectionsPerIp: c.WS_MAX_CONNECTIONS_PER_IP,
    maxRoomsPerUser: c.WS_MAX_ROOMS_PER_USER,
    trustProxy: c.WS_TRUST_PROXY,
    moderationAdminToken: c.MODERATION_ADMIN_TOKEN,
    roomStateTickMs: c.ROOM_STATE_TICK_MS,
  };
}
export { gatewayTuningEnv, configSchema as gatewayConfigSchema } from './config';
