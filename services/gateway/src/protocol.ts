import type { RawData } from 'ws';
import type { MessageBus } from '@roomcast/bus';
import { ClientFrame, type ChatSubmittedV1, type TopicNames } from '@roomcast/contracts';
import { AppError, toAppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import type { RecentMessages } from '@roomcast/sequencer';
import { publishEvent, type Counter } from '@roomcast/service-kit';
import { ATTR, getTracer, SpanKind, traceFields, withSpan, type Span } from '@roomcast/telemetry';
import { catchUp, dropHold, hold, releaseHold, type CatchupOptions } from './catchup';
import type { Connection } from './connection';
import type { RoomCounters } from './room-counters';
import type { RoomRegistry, RoomState } from './room-registry';

export interface ProtocolContext {
  gatewayId: string;
  registry: RoomRegistry;
  bus: MessageBus;
  presence: PresenceStore;
  logger: Logger;
  topics: TopicNames;
  maxRoomsPerConnection: number;
  maxRoomsPerUser: number;
  /** Limits per user over all their sockets and gateways (Redis token buckets). */
  userLimits: {
    chat: { ratePerSec: number; burst: number };
    likes: { ratePerSec: number; burst: number };
  };
  presenceTtlMs: number;
  /** Likes are summed here until the next likes tick. */
  counters: RoomCounters;
  /** Source of catch-ups (join with afterSeq). */
  recent: RecentMessages;
  /** Verifies a `refresh` token (the handshake's rules). */
  verifyToken: (token: string) => Promise<{ userId: string; exp: number }>;
  catchup: CatchupOptions;
  catchupCounters: { catchups: Counter; messages: Counter; incomplete: Counter };
  /** Frames refused by a rate limit: per connection (chat, catchup) and per user (userChat, userLikes). */
  rateLimited: { chat: Counter; catchup: Counter; userChat: Counter; userLikes: Counter };
  /** Joins refused by the room caps. */
  roomCapRefusals: { perConnection: Counter; perUser: Counter };
}

const tracer = getTracer('roomcast-gateway');

type ErrorExtra = { reqId?: string | undefined; clientMsgId?: string | undefined };

function errorFrame(err: unknown, extra: ErrorExtra = {}): object {
  return { type: 'error', ...toAppError(err).toWire(), ...extra };
}

/** An error reply, in its turn (after the replies to earlier frames). */
function sendError(conn: Connection, err: unknown, extra: ErrorExtra = {}): void {
  const frame = errorFrame(err, extra);
  conn.inOrder(() => conn.sendJson(frame));
}

/**
 * Handles one inbound frame. Never throws: every failure becomes an `error` frame and the
 * connection stays open. Replies leave in the order the frames came (Connection.inOrder): join
 * and leave take effect in that order too; chats are published at once and acked in order.
 */
export function handleFrame(ctx: ProtocolContext, conn: Connection, data: RawData, isBinary: boolean): void {
  if (isBinary) {
    sendError(conn, new AppError('BAD_FRAME', 'binary frames are not supported; send JSON text'));
    return;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString());
  } catch {
    // The parse error itself says nothing a client can use; the code does.
    sendError(conn, new AppError('BAD_FRAME', 'not valid JSON'));
    return;
  }
  const parsed = ClientFrame.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reqId = typeof (raw as { reqId?: unknown })?.reqId === 'string' ? (raw as { reqId: string }).reqId : undefined;
    const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    const code = issue?.code === 'too_big' && issue.path[0] === 'text' ? 'FRAME_TOO_LARGE' : 'BAD_FRAME';
    sendError(conn, new AppError(code, `${path}${issue?.message ?? 'invalid frame'}`), { reqId });
    return;
  }
  const frame = parsed.data;
  switch (frame.type) {
    case 'join': {
      // A chat sent right after its join is accepted while the join waits for its turn.
      conn.joinQueued(frame.roomId, 1);
      const { roomId, reqId, afterSeq } = frame;
      conn.inOrder(() => onJoin(ctx, conn, roomId, reqId, afterSeq).finally(() => conn.joinQueued(roomId, -1)));
      return;
    }
    case 'leave':
      conn.inOrder(() => onLeave(ctx, conn, frame.roomId, frame.reqId));
      return;
    case 'chat':
      onChat(ctx, conn, frame);
      return;
    case 'like':
      if (!conn.rooms.has(frame.roomId) && !conn.joining(frame.roomId)) {
        sendError(conn, new AppError('NOT_IN_ROOM', `join ${frame.roomId} before liking`));
        return;
      }
      onLike(ctx, conn, frame.roomId, frame.count);
      return;
    case 'refresh': {
      const { token, reqId } = frame;
      conn.inOrder(() => onRefresh(ctx, conn, token, reqId));
      return;
    }
    case 'ping': {
      const reqId = frame.reqId;
      conn.inOrder(() => conn.sendJson({ type: 'pong', reqId, serverTime: Date.now() }));
      return;
    }
  }
}

async function onJoin(
  ctx: ProtocolContext,
  conn: Connection,
  roomId: string,
  reqId: string | undefined,
  afterSeq: number | undefined,
): Promise<void> {
  if (conn.closed) return;
  const already = conn.rooms.has(roomId);
  if (!already && conn.rooms.size >= ctx.maxRoomsPerConnection) {
    ctx.roomCapRefusals.perConnection.inc();
    conn.sendJson(errorFrame(new AppError('TOO_MANY_ROOMS', `at most ${ctx.maxRoomsPerConnection} rooms per connection`), { reqId }));
    return;
  }
  if (!already && roomsOfUser(ctx, conn.userId) >= ctx.maxRoomsPerUser) {
    ctx.roomCapRefusals.perUser.inc();
    conn.sendJson(errorFrame(new AppError('TOO_MANY_ROOMS', `at most ${ctx.maxRoomsPerUser} rooms per user`), { reqId }));
    return;
  }
  const catchingUp = afterSeq !== undefined;
  if (catchingUp && !conn.takeCatchupToken(ctx.catchup.ratePerSec, ctx.catchup.burst)) {
    ctx.rateLimited.catchup.inc();
    conn.sendJson(errorFrame(new AppError('RATE_LIMITED', 'too many catch-ups (join with afterSeq); retry later'), { reqId }));
    return;
  }
  // Hold the room's live messages for this socket from before it is a member, so that none
  // goes out ahead of the catch-up.
  if (catchingUp) hold(conn, roomId);
  const { state, first } = ctx.registry.join(conn, roomId);
  const undo = (err: unknown, code: 'PRESENCE_UNAVAILABLE' | 'STORE_UNAVAILABLE'): void => {
    if (!already) {
      dropHold(conn, roomId);
      if (ctx.registry.leave(conn, roomId)) void removeRoomGateway(ctx, roomId);
    } else if (catchingUp) releaseHold(conn, roomId, 0);
    conn.sendJson(errorFrame(toAppError(err, code), { reqId }));
  };
  if (first) {
    // Register before confirming: once the client sees `joined`, notification routes here.
    try {
      await ctx.presence.touchRoomGateways([roomId], ctx.gatewayId, ctx.presenceTtlMs);
    } catch (err) {
      undo(err, 'PRESENCE_UNAVAILABLE');
      return;
    }
  }
  if (!catchingUp) {
    conn.sendJson({ type: 'joined', roomId, reqId, lastSeq: await currentSeq(ctx, roomId, state) });
  } else {
    let result;
    try {
      result = await catchUp(ctx.recent, conn, roomId, afterSeq, ctx.catchup.maxMessages);
    } catch (err) {
      ctx.logger.warn({ err, roomId }, 'catch-up failed');
      undo(err, 'STORE_UNAVAILABLE');
      return;
    }
    conn.sendJson({ type: 'joined', roomId, reqId, ...result });
    releaseHold(conn, roomId, result.lastSeq);
    ctx.catchupCounters.catchups.inc();
    ctx.catchupCounters.messages.inc(result.recoveredCount);
    if (!result.recovered) ctx.catchupCounters.incomplete.inc();
  }
  // Counters go out only when they change; a late joiner gets the current values now.
  if (state.likes >= 0) conn.sendJson({ type: 'likes', roomId, total: state.likes });
  if (state.online >= 0) conn.sendJson({ type: 'online', roomId, count: state.online });
}

/**
 * The room's newest seq for a plain join: what this gateway flushed, or — for a room that had no
 * delivery here yet — the sequencer's head, so the client's lastSeq means "has everything up to
 * here" and a later resume asks only for what came after it.
 */
async function currentSeq(ctx: ProtocolContext, roomId: string, state: RoomState): Promise<number> {
  if (state.lastSeq > 0 || state.queue !== undefined) return state.lastSeq;
  try {
    return (await ctx.recent.after(roomId, Number.MAX_SAFE_INTEGER, 1)).headSeq;
  } catch (err) {
    ctx.logger.debug({ err, roomId }, 'room head unavailable; joined reports 0');
    return 0;
  }
}

/** A new token for the session: same user, later expiry. A bad one is refused; the session goes on until its current expiry. */
async function onRefresh(ctx: ProtocolContext, conn: Connection, token: string, reqId: string | undefined): Promise<void> {
  try {
    const claims = await ctx.verifyToken(token);
    if (claims.userId !== conn.userId) throw new AppError('UNAUTHORIZED', 'the refresh token is for another user');
    conn.expiresAt = claims.exp * 1000;
    conn.sendJson({ type: 'refreshed', reqId, expiresAt: conn.expiresAt });
  } catch (err) {
    conn.sendJson(errorFrame(toAppError(err, 'UNAUTHORIZED'), { reqId }));
  }
}

/** Distinct rooms the user is in over their sockets on this gateway. */
function roomsOfUser(ctx: ProtocolContext, userId: string): number {
  const conns = ctx.registry.users.get(userId);
  if (conns === undefined) return 0;
  if (conns.size === 1) for (const c of conns) return c.rooms.size;
  const rooms = new Set<string>();
  for (const c of conns) for (const r of c.rooms) rooms.add(r);
  return rooms.size;
}

/**
 * Takes from a per-user bucket shared by every gateway. Fails open: when Redis cannot answer,
 * the per-socket limits still hold and the chat goes on (availability over strictness).
 */
async function userTokens(
  ctx: ProtocolContext,
  key: string,
  limit: { ratePerSec: number; burst: number },
  cost: number,
  limited: Counter,
): Promise<boolean> {
  let ok: boolean;
  try {
    ok = await ctx.presence.takeTokens(key, limit.ratePerSec, limit.burst, cost);
  } catch (err) {
    ctx.logger.debug({ err, key }, 'user limit unavailable; allowing');
    return true;
  }
  if (!ok) limited.inc();
  return ok;
}

/** Likes count once the user's budget in this room allows them (a frame of count n costs n). */
function onLike(ctx: ProtocolContext, conn: Connection, roomId: string, count: number): void {
  const { likes } = ctx.userLimits;
  void userTokens(ctx, `likes:${roomId}:${conn.userId}`, likes, count, ctx.rateLimited.userLikes).then((ok) => {
    if (ok) ctx.counters.addLikes(roomId, count);
    else conn.inOrder(() => conn.sendJson(errorFrame(new AppError('RATE_LIMITED', 'too many likes in this room; slow down'))));
  });
}

function removeRoomGateway(ctx: ProtocolContext, roomId: string): Promise<void> {
  return ctx.presence
    .removeRoomGateway(roomId, ctx.gatewayId)
    .catch((err: unknown) => ctx.logger.warn({ err, roomId }, 'presence leave failed'));
}

function onLeave(ctx: ProtocolContext, conn: Connection, roomId: string, reqId: string | undefined): void {
  dropHold(conn, roomId);
  if (ctx.registry.leave(conn, roomId)) void removeRoomGateway(ctx, roomId);
  conn.sendJson({ type: 'left', roomId, reqId });
}

function onChat(ctx: ProtocolContext, conn: Connection, frame: Extract<ClientFrame, { type: 'chat' }>): void {
  const { roomId, clientMsgId } = frame;
  if (!conn.rooms.has(roomId) && !conn.joining(roomId)) {
    sendError(conn, new AppError('NOT_IN_ROOM', `join ${roomId} before chatting`), { clientMsgId });
    return;
  }
  if (!conn.takeChatToken()) {
    ctx.rateLimited.chat.inc();
    sendError(conn, new AppError('RATE_LIMITED', 'too many chat messages; slow down'), { clientMsgId });
    return;
  }
  const now = Date.now();
  const event: ChatSubmittedV1 = {
    roomId,
    userId: conn.userId,
    clientMsgId,
    text: frame.text,
    sentAt: frame.sentAt ?? now,
    gatewayId: ctx.gatewayId,
    submittedAt: now,
  };
  // Published now (chats of one socket share produce requests), once the user's own budget over
  // every socket and gateway allows it; acked in its turn. The message's trace starts here; every
  // later hop continues it through Kafka headers. Room and user are attributes from the start:
  // the sampler reads them (OTEL_SAMPLE_ROOMS/_USERS).
  const { chat } = ctx.userLimits;
  let span: Span | undefined;
  const attributes = { [ATTR.roomId]: roomId, [ATTR.userId]: conn.userId, [ATTR.clientMsgId]: clientMsgId, [ATTR.gatewayId]: ctx.gatewayId };
  const outcome = userTokens(ctx, `chat:${conn.userId}`, chat, 1, ctx.rateLimited.userChat)
    .then((ok) => {
      if (!ok) throw new AppError('RATE_LIMITED', 'too many chat messages from this user; slow down');
      return withSpan(tracer, 'gateway.chat.submit', { kind: SpanKind.PRODUCER, attributes }, (s) => {
        span = s;
        return publishEvent(ctx.bus, ctx.topics, 'chatSubmitted', event);
      });
    })
    .then(
      () => undefined,
      (err: unknown) => err,
    );
  conn.inOrder(async () => {
    const err = await outcome;
    if (err === undefined) {
      conn.sendJson({ type: 'ack', roomId, clientMsgId });
      return;
    }
    const e = toAppError(err, 'PUBLISH_FAILED');
    if (e.code !== 'RATE_LIMITED') ctx.logger.warn({ err, roomId, clientMsgId, ...traceFields(span) }, 'chat publish failed');
    conn.sendJson(errorFrame(e, { clientMsgId }));
  });
}
