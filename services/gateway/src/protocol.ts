import type { RawData } from 'ws';
import type { MessageBus } from '@roomcast/bus';
import {
  ClientFrame,
  claimedRole,
  ErrorFrame,
  type ChatSubmittedV1,
  type ModerationAction,
  type ModerationEventV1,
  type RolesClaim,
  type RoomRole,
  type TopicNames,
} from '@roomcast/contracts';
import { AppError, toAppError } from '@roomcast/errors';
import type { Logger } from '@roomcast/logger';
import type { PresenceStore } from '@roomcast/presence';
import { isBanned, mutedUntil, type ModerationStore, type ModerationView, type RoomModeration } from '@roomcast/moderation';
import type { LiveActions } from '@roomcast/live';
import type { RecentMessages } from '@roomcast/sequencer';
import { publishEvent, type Counter } from '@roomcast/service-kit';
import { ATTR, getTracer, SpanKind, traceFields, withSpan, type Span } from '@roomcast/telemetry';
import { catchUp, dropHold, hold, releaseHold, type CatchupOptions } from './catchup';
import { expiryMs, type Connection } from './connection';
import type { RoleDirectory } from './role-directory';
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
  verifyToken: (token: string) => Promise<{ userId: string; exp: number; roles?: RolesClaim }>;
  /** Performs `moderate` frames. */
  moderation: RoomModeration;
  /** Resolves roles at join (one read of a room's grants, not one per viewer). */
  roles: RoleDirectory;
  /** This gateway's view of the rooms' mutes, bans and slow mode. */
  moderationView: ModerationView;
  /** Slow-mode slots (shared by every gateway). */
  moderationStore: ModerationStore;
  /** Applies an action this gateway performed at once (the Kafka copy is then skipped by id). */
  onModerated: (event: ModerationEventV1) => void;
  /** The live-room features behind `vote`, `buy` and `host` frames. */
  live: LiveActions;
  /** Sends a room's live state to a socket that joined it. */
  sendRoomState: (conn: Connection, roomId: string) => Promise<void>;
  /** Chats refused by moderation (muted, banned, slow mode), by reason. */
  moderationRefusals: { muted: Counter; banned: Counter; slowMode: Counter };
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

/** An error reply from a handler that already runs in its turn (`inTurn`), or queued for it. */
function refuse(conn: Connection, inTurn: boolean, err: unknown, extra: ErrorExtra = {}): void {
  if (inTurn) conn.sendJson(errorFrame(err, extra));
  else sendError(conn, err, extra);
}

/**
 * Handles one inbound frame. Never throws: every failure becomes an `error` frame and the
 * connection stays open. Replies leave in the order the frames came (Connection.inOrder): join
 * and leave take effect in that order too; chats are published at once and acked in order —
 * except behind a join or leave not done yet: such chats and likes are judged in their turn.
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
    // The frame's reqId, only when it is a valid one: the error frame must pass ErrorFrame itself
    // (a 4 KB reqId came back verbatim, and every client validating server frames dropped the reply).
    const reqId = ErrorFrame.shape.reqId.safeParse((raw as { reqId?: unknown } | null)?.reqId).data;
    const path = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    const code = issue?.code === 'too_big' && issue.path[0] === 'text' ? 'FRAME_TOO_LARGE' : 'BAD_FRAME';
    sendError(conn, new AppError(code, `${path}${issue?.message ?? 'invalid frame'}`), { reqId });
    return;
  }
  const frame = parsed.data;
  switch (frame.type) {
    case 'join': {
      // Until it is done, chats and likes behind it wait for their turn (a chat right behind its
      // room's join is accepted once the join is, and refused when the join is).
      conn.roomChange(1);
      const { roomId, reqId, afterSeq } = frame;
      conn.inOrder(() => onJoin(ctx, conn, roomId, reqId, afterSeq).finally(() => conn.roomChange(-1)));
      return;
    }
    case 'leave': {
      conn.roomChange(1);
      const { roomId, reqId } = frame;
      conn.inOrder(() => {
        onLeave(ctx, conn, roomId, reqId);
        conn.roomChange(-1);
      });
      return;
    }
    case 'chat':
    case 'gift':
    case 'ask':
      if (conn.roomsUnsettled()) {
        conn.chatWaiting(1);
        conn.inOrder(() => {
          conn.chatWaiting(-1);
          return onChat(ctx, conn, frame, true);
        });
      } else void onChat(ctx, conn, frame, false); // out of turn: it queues its own ack
      return;
    case 'like':
      if (conn.roomsUnsettled()) {
        const { roomId, count } = frame;
        conn.inOrder(() => onLike(ctx, conn, roomId, count, true));
      } else onLike(ctx, conn, frame.roomId, frame.count, false);
      return;
    case 'refresh': {
      const { token, reqId } = frame;
      conn.inOrder(() => onRefresh(ctx, conn, token, reqId));
      return;
    }
    case 'vote':
    case 'buy':
    case 'host': {
      conn.inOrder(() => onLive(ctx, conn, frame));
      return;
    }
    case 'moderate': {
      const { roomId, reqId, action } = frame;
      conn.inOrder(() => onModerate(ctx, conn, roomId, action, reqId));
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
  // The user's role and the room's rules: a banned user is refused before joining.
  let role: RoomRole;
  let rules;
  try {
    [role, rules] = await Promise.all([roleOf(ctx, conn, roomId), ctx.moderationView.room(roomId)]);
  } catch (err) {
    conn.sendJson(errorFrame(toAppError(err, 'PRESENCE_UNAVAILABLE'), { reqId }));
    return;
  }
  if (conn.closed) return;
  const now = Date.now();
  if (isBanned(rules, conn.userId, now)) {
    ctx.moderationRefusals.banned.inc();
    conn.sendJson(errorFrame(new AppError('BANNED', `you are banned from ${roomId}`), { reqId }));
    return;
  }
  conn.setRole(roomId, role);
  const muted = mutedUntil(rules, conn.userId, now);
  const mode = {
    ...(role !== 'viewer' ? { role } : {}),
    ...(rules.slowModeMs > 0 ? { slowModeMs: rules.slowModeMs } : {}),
    ...(muted > 0 ? { mutedUntil: muted } : {}),
  };
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
    conn.sendJson({ type: 'joined', roomId, reqId, lastSeq: await currentSeq(ctx, roomId, state), ...mode });
  } else {
    let result;
    try {
      result = await catchUp(ctx.recent, conn, roomId, afterSeq, ctx.catchup.maxMessages);
    } catch (err) {
      ctx.logger.warn({ err, roomId }, 'catch-up failed');
      undo(err, 'STORE_UNAVAILABLE');
      return;
    }
    conn.sendJson({ type: 'joined', roomId, reqId, ...result, ...mode });
    releaseHold(conn, roomId, result.lastSeq);
    ctx.catchupCounters.catchups.inc();
    ctx.catchupCounters.messages.inc(result.recoveredCount);
    if (!result.recovered) ctx.catchupCounters.incomplete.inc();
  }
  // Counters go out only when they change; a late joiner gets the current values now.
  if (state.likes >= 0) conn.sendJson({ type: 'likes', roomId, total: state.likes });
  if (state.online >= 0) conn.sendJson({ type: 'online', roomId, count: state.online });
  // And the room's live state (leaderboard, Q&A, poll, pinned message, product).
  try {
    await ctx.sendRoomState(conn, roomId);
  } catch (err) {
    ctx.logger.debug({ err, roomId }, 'room state unavailable at join; the next change brings it');
  }
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
    conn.expiresAt = expiryMs(claims.exp);
    conn.rolesClaim = claims.roles;
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

/**
 * Likes count once the user's budget in this room allows them (a frame of count n costs n).
 * `inTurn`: called in the frame's turn (behind a join or leave), so a refusal goes out now.
 */
function onLike(ctx: ProtocolContext, conn: Connection, roomId: string, count: number, inTurn: boolean): void {
  if (!conn.rooms.has(roomId)) {
    refuse(conn, inTurn, new AppError('NOT_IN_ROOM', `join ${roomId} before liking`));
    return;
  }
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
  conn.setRole(roomId, 'viewer');
  if (ctx.registry.leave(conn, roomId)) void removeRoomGateway(ctx, roomId);
  conn.sendJson({ type: 'left', roomId, reqId });
}

/**
 * Publishes a chat of a room the connection is in and acks it in its turn. `inTurn`: called in
 * the frame's turn (behind a join or leave): replies go out now, and the returned promise holds
 * the next frames' replies until the ack went out.
 */
function onChat(
  ctx: ProtocolContext,
  conn: Connection,
  frame: Extract<ClientFrame, { type: 'chat' | 'gift' | 'ask' }>,
  inTurn: boolean,
): Promise<void> | undefined {
  const { roomId, clientMsgId } = frame;
  if (!conn.rooms.has(roomId)) {
    refuse(conn, inTurn, new AppError('NOT_IN_ROOM', `join ${roomId} before chatting`), { clientMsgId });
    return undefined;
  }
  if (!conn.takeChatToken()) {
    ctx.rateLimited.chat.inc();
    refuse(conn, inTurn, new AppError('RATE_LIMITED', 'too many chat messages; slow down'), { clientMsgId });
    return undefined;
  }
  const now = Date.now();
  // The room's rules as this gateway sees them (loaded at join, kept current by moderation events).
  const rules = ctx.moderationView.peek(roomId);
  const role = conn.roleIn(roomId);
  // A mute holds whatever the role (only a higher role can have imposed it); slow mode only viewers.
  if (rules !== undefined) {
    const until = mutedUntil(rules, conn.userId, now);
    if (until > 0) {
      ctx.moderationRefusals.muted.inc();
      refuse(conn, inTurn, new AppError('MUTED', `you are muted in ${roomId} until ${new Date(until).toISOString()}`), { clientMsgId });
      return undefined;
    }
    if (isBanned(rules, conn.userId, now)) {
      ctx.moderationRefusals.banned.inc();
      refuse(conn, inTurn, new AppError('BANNED', `you are banned from ${roomId}`), { clientMsgId });
      return undefined;
    }
  }
  // Slow mode holds viewers' chat and questions; gifts are not held by it.
  const slowModeMs = role === 'viewer' && frame.type !== 'gift' ? (rules?.slowModeMs ?? 0) : 0;
  const event: ChatSubmittedV1 = {
    roomId,
    userId: conn.userId,
    clientMsgId,
    sentAt: frame.sentAt ?? now,
    gatewayId: ctx.gatewayId,
    submittedAt: now,
    ...submissionOf(frame),
  };
  // Published now (chats of one socket share produce requests), once the user's own budget over
  // every socket and gateway allows it; acked in its turn. The message's trace starts here; every
  // later hop continues it through Kafka headers. Room and user are attributes from the start:
  // the sampler reads them (OTEL_SAMPLE_ROOMS/_USERS).
  const { chat } = ctx.userLimits;
  let span: Span | undefined;
  const attributes = { [ATTR.roomId]: roomId, [ATTR.userId]: conn.userId, [ATTR.clientMsgId]: clientMsgId, [ATTR.gatewayId]: ctx.gatewayId };
  const outcome = slowModeSlot(ctx, roomId, conn.userId, slowModeMs)
    .then(() => userTokens(ctx, `chat:${conn.userId}`, chat, 1, ctx.rateLimited.userChat))
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
  const ack = async (): Promise<void> => {
    const err = await outcome;
    if (err === undefined) {
      conn.sendJson({ type: 'ack', roomId, clientMsgId });
      return;
    }
    const e = toAppError(err, 'PUBLISH_FAILED');
    if (e.code !== 'RATE_LIMITED' && e.code !== 'SLOW_MODE') ctx.logger.warn({ err, roomId, clientMsgId, ...traceFields(span) }, 'chat publish failed');
    conn.sendJson(errorFrame(e, { clientMsgId }));
  };
  if (inTurn) return ack();
  conn.inOrder(ack);
  return undefined;
}

/**
 * Slow mode: one chat per user per interval in the room, over every gateway (a Redis slot).
 * Throws SLOW_MODE when the slot is taken. Fails open, like the user limits: when Redis cannot
 * answer, the chat goes on.
 */
async function slowModeSlot(ctx: ProtocolContext, roomId: string, userId: string, intervalMs: number): Promise<void> {
  if (intervalMs <= 0) return;
  let ok: boolean;
  try {
    ok = await ctx.moderationStore.takeSlowSlot(roomId, userId, intervalMs);
  } catch (err) {
    ctx.logger.debug({ err, roomId }, 'slow mode unavailable; allowing');
    return;
  }
  if (!ok) {
    ctx.moderationRefusals.slowMode.inc();
    throw new AppError('SLOW_MODE', `${roomId} is in slow mode: one message per ${intervalMs} ms`);
  }
}

/**
 * The user's role in a room: the higher of the token's claim and the room-admin store. When the
 * store cannot answer, the claim alone (a moderator granted only in the store acts as a viewer
 * until it is back).
 */
async function roleOf(ctx: ProtocolContext, conn: Connection, roomId: string): Promise<RoomRole> {
  try {
    return await ctx.roles.roleOf(roomId, conn.userId, conn.rolesClaim);
  } catch (err) {
    ctx.logger.warn({ err, roomId, userId: conn.userId }, 'room-admin store unavailable; role from the token only');
    return claimedRole(conn.rolesClaim, roomId);
  }
}

/**
 * A `moderate` frame: authorised by the sender's role in the room (resolved at join; resolved
 * now when the sender is not in the room), performed, applied here at once, and answered
 * `moderated` — or an error (FORBIDDEN, ...). Counts against the connection's chat budget.
 */
async function onModerate(
  ctx: ProtocolContext,
  conn: Connection,
  roomId: string,
  action: ModerationAction,
  reqId: string | undefined,
): Promise<void> {
  if (!conn.takeChatToken()) {
    ctx.rateLimited.chat.inc();
    conn.sendJson(errorFrame(new AppError('RATE_LIMITED', 'too many frames; slow down'), { reqId }));
    return;
  }
  try {
    const role = conn.rooms.has(roomId) ? conn.roleIn(roomId) : await roleOf(ctx, conn, roomId);
    const event = await ctx.moderation.perform(roomId, { userId: conn.userId, roles: conn.rolesClaim }, action, role);
    ctx.onModerated(event);
    conn.sendJson({ type: 'moderated', roomId, reqId, actionId: event.id });
  } catch (err) {
    const e = toAppError(err, 'PUBLISH_FAILED');
    if (e.code !== 'FORBIDDEN') ctx.logger.warn({ err, roomId, kind: action.kind }, 'moderation failed');
    conn.sendJson(errorFrame(e, { reqId }));
  }
}

/**
 * What a chat, gift or question adds to its submission: the text and, beyond chat, the kind and
 * data. A gift's text is its plain rendering ("sent 3 × rose") for clients that do not know gifts;
 * gifts are high priority (never thinned, never held by the delivery window).
 */
function submissionOf(frame: Extract<ClientFrame, { type: 'chat' | 'gift' | 'ask' }>): Partial<ChatSubmittedV1> & { text: string } {
  switch (frame.type) {
    case 'chat':
      return {
        text: frame.text,
        ...(frame.replyTo !== undefined ? { replyTo: frame.replyTo } : {}),
        ...(frame.mentions !== undefined && frame.mentions.length > 0 ? { mentions: [...new Set(frame.mentions)] } : {}),
      };
    case 'gift':
      return {
        text: `sent ${frame.count} × ${frame.giftId}`,
        kind: 'gift',
        data: { giftId: frame.giftId, count: frame.count },
        priority: 'high',
      };
    case 'ask':
      return { text: frame.text, kind: 'question' };
  }
}

/**
 * A `vote`, `buy` or `host` frame, in its turn: only in a room the connection joined, with the
 * role resolved at join; answered `done {result}` or an error (FORBIDDEN, SOLD_OUT, POLL_CLOSED,
 * NOT_FOUND, ...). Counts against the connection's chat budget.
 */
async function onLive(ctx: ProtocolContext, conn: Connection, frame: Extract<ClientFrame, { type: 'vote' | 'buy' | 'host' }>): Promise<void> {
  const { roomId, reqId } = frame;
  if (!conn.rooms.has(roomId)) {
    conn.sendJson(errorFrame(new AppError('NOT_IN_ROOM', `join ${roomId} first`), { reqId }));
    return;
  }
  if (!conn.takeChatToken()) {
    ctx.rateLimited.chat.inc();
    conn.sendJson(errorFrame(new AppError('RATE_LIMITED', 'too many frames; slow down'), { reqId }));
    return;
  }
  const actor = { userId: conn.userId, role: conn.roleIn(roomId) };
  try {
    const result =
      frame.type === 'vote'
        ? await ctx.live.vote(roomId, actor, frame.target)
        : frame.type === 'buy'
          ? await ctx.live.buy(roomId, actor, frame.productId, frame.quantity)
          : await ctx.live.host(roomId, actor, frame.action);
    conn.sendJson({ type: 'done', roomId, reqId, result });
  } catch (err) {
    const e = toAppError(err, 'INTERNAL');
    if (e.code === 'INTERNAL' || e.temporary) ctx.logger.warn({ err, roomId, type: frame.type }, 'live action failed');
    conn.sendJson(errorFrame(e, { reqId }));
  }
}
