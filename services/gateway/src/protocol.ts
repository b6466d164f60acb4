import type { RawData } from 'ws';
import type { MessageBus } from '@roomcast/bus';
import { ClientFrame, type ChatSubmittedV1, type TopicNames } from '@roomcast/contracts';
import { AppError, toAppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import { publishEvent } from '@roomcast/service-kit';
import { getTracer, SpanKind, withSpan } from '@roomcast/telemetry';
import type { Connection } from './connection';
import type { RoomCounters } from './room-counters';
import type { RoomRegistry } from './room-registry';

export interface ProtocolContext {
  gatewayId: string;
  registry: RoomRegistry;
  bus: MessageBus;
  presence: PresenceStore;
  logger: Logger;
  topics: TopicNames;
  maxRoomsPerConnection: number;
  presenceTtlMs: number;
  /** Likes are summed here until the next likes tick. */
  counters: RoomCounters;
}

const tracer = getTracer('roomcast-gateway');

function sendError(conn: Connection, err: unknown, extra: { reqId?: string | undefined; clientMsgId?: string | undefined } = {}): void {
  const e = toAppError(err);
  conn.sendJson({ type: 'error', ...e.toWire(), ...extra });
}

/**
 * Handles one inbound frame. Never throws: every failure becomes an `error` frame and the
 * connection stays open.
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
    case 'join':
      void onJoin(ctx, conn, frame.roomId, frame.reqId);
      return;
    case 'leave':
      onLeave(ctx, conn, frame.roomId, frame.reqId);
      return;
    case 'chat':
      void onChat(ctx, conn, frame);
      return;
    case 'like':
      if (!conn.rooms.has(frame.roomId)) {
        sendError(conn, new AppError('NOT_IN_ROOM', `join ${frame.roomId} before liking`));
        return;
      }
      ctx.counters.addLikes(frame.roomId, frame.count);
      return;
    case 'ping':
      conn.sendJson({ type: 'pong', reqId: frame.reqId, serverTime: Date.now() });
      return;
  }
}

async function onJoin(ctx: ProtocolContext, conn: Connection, roomId: string, reqId: string | undefined): Promise<void> {
  if (!conn.rooms.has(roomId) && conn.rooms.size >= ctx.maxRoomsPerConnection) {
    sendError(conn, new AppError('TOO_MANY_ROOMS', `at most ${ctx.maxRoomsPerConnection} rooms per connection`), { reqId });
    return;
  }
  const { state, first } = ctx.registry.join(conn, roomId);
  if (first) {
    // Register before confirming: once the client sees `joined`, notification routes here.
    try {
      await ctx.presence.touchRoomGateways([roomId], ctx.gatewayId, ctx.presenceTtlMs);
    } catch (err) {
      ctx.registry.leave(conn, roomId);
      sendError(conn, toAppError(err, 'PRESENCE_UNAVAILABLE'), { reqId });
      return;
    }
  }
  conn.sendJson({ type: 'joined', roomId, reqId, lastSeq: state.lastSeq });
  // Counters go out only when they change; a late joiner gets the current values now.
  if (state.likes >= 0) conn.sendJson({ type: 'likes', roomId, total: state.likes });
  if (state.online >= 0) conn.sendJson({ type: 'online', roomId, count: state.online });
}

function onLeave(ctx: ProtocolContext, conn: Connection, roomId: string, reqId: string | undefined): void {
  if (ctx.registry.leave(conn, roomId)) {
    ctx.presence.removeRoomGateway(roomId, ctx.gatewayId).catch((err: unknown) => ctx.logger.warn({ err, roomId }, 'presence leave failed'));
  }
  conn.sendJson({ type: 'left', roomId, reqId });
}

async function onChat(ctx: ProtocolContext, conn: Connection, frame: Extract<ClientFrame, { type: 'chat' }>): Promise<void> {
  const { roomId, clientMsgId } = frame;
  if (!conn.rooms.has(roomId)) {
    sendError(conn, new AppError('NOT_IN_ROOM', `join ${roomId} before chatting`), { clientMsgId });
    return;
  }
  if (!conn.takeChatToken()) {
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
  try {
    // The message's trace starts here; every later hop continues it through Kafka headers.
    await withSpan(tracer, 'gateway.chat.submit', { kind: SpanKind.PRODUCER, attributes: { 'roomcast.room_id': roomId, 'roomcast.client_msg_id': clientMsgId } }, () =>
      publishEvent(ctx.bus, ctx.topics, 'chatSubmitted', event),
    );
    conn.sendJson({ type: 'ack', roomId, clientMsgId });
  } catch (err) {
    ctx.logger.warn({ err, roomId }, 'chat publish failed');
    sendError(conn, toAppError(err, 'PUBLISH_FAILED'), { clientMsgId });
  }
}
